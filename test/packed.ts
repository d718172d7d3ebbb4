// The package as users get it, for the tests that use it from outside the tree (test/package.test.ts,
// test/vite.e2e.test.ts): `npm pack` of this tree (built by `npm test` first), unpacked into a
// project's node_modules, offline.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const root = fileURLToPath(new URL('../', import.meta.url));
export const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const exec = promisify(execFile);

/** Runs a command to its end (`env` added to this process's): exit code and output, whether it fails or not. */
export async function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    return { code: 0, ...(await exec(cmd, args, { cwd, maxBuffer: 1 << 26, env: { ...process.env, ...env } })) };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/**
 * Packs the tree into `dir` and installs the tarball into `project` by hand: unpacked into
 * node_modules/senet-wasm, and only the dependencies package.json declares linked from this
 * checkout (a missing one then fails). Returns the tarball's path and the files it holds.
 */
export async function installPacked(dir: string, project: string): Promise<{ tarball: string; files: string[] }> {
  const pack = await run('npm', ['pack', '--json', '--pack-destination', dir], root);
  if (pack.code !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const [info] = JSON.parse(pack.stdout) as [{ filename: string; files: { path: string }[] }];
  const tarball = join(dir, info.filename);
  const installed = join(project, 'node_modules', 'senet-wasm');
  mkdirSync(installed, { recursive: true });
  const untar = await run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'], dir);
  if (untar.code !== 0) throw new Error(`unpacking ${tarball} failed: ${untar.stderr}`);
  for (const dep of Object.keys(pkg.dependencies)) link(project, dep);
  return { tarball, files: info.files.map((f) => f.path) };
}

/** Links this checkout's installed `name` into `project`'s node_modules. */
export function link(project: string, name: string): void {
  const to = join(project, 'node_modules', name);
  mkdirSync(dirname(to), { recursive: true });
  symlinkSync(join(root, 'node_modules', name), to, 'dir');
}
