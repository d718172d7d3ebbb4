// The tests run under Node against the sources: the Node entry sets how the core finds the wasm
// builds (build/ in this checkout) and reads file: URLs, as it does for users of dist/node.js.
import '../src/node.js';
