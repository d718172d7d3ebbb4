// A progress bar on stderr for long CLI work (classify, bench), only when stderr is a terminal:
// piped or redirected output (CI logs, --json consumers) stays clean.
import { SingleBar } from 'cli-progress';

export interface Progress {
  tick(): void;
  stop(): void;
}

export function progress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || total < 2) return { tick() {}, stop() {} };
  const bar = new SingleBar({
    stream, format: `${label} [{bar}] {value}/{total} {duration_formatted}`, barsize: 30, hideCursor: true, clearOnComplete: true,
  });
  bar.start(total, 0);
  return { tick: () => bar.increment(), stop: () => bar.stop() };
}
