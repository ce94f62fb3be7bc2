// speedscope_import.js: load a profile with the real speedscope importer
// (tests/live/test_formats.py).
//
//   node speedscope_import.js BUNDLE PROFILE
//
// BUNDLE is dist/release/speedscope-*.js of the `speedscope` npm package:
// the web app in one browser script. Its import code is used as shipped:
// the script runs in a Node vm context whose browser globals are inert
// stubs (the user interface it starts does nothing there), with one line
// added at its top that hands out the importer module (esbuild's lazy
// module: its init function and exports object, names of the bundle
// checked by the test's pinned version). The profile is imported from its
// bytes exactly as a file dropped on the page would be
// (importProfilesFromArrayBuffer), and the resulting profile group is
// printed as JSON: name, the profile to show first, and per profile its
// name, weight unit, total weight and every frame (name, file, line) with
// its self and total weight. Exit 1 with the error when the import fails.
'use strict';
const fs = require('fs');
const vm = require('vm');

const [bundlePath, profilePath, initName, modName] = process.argv.slice(2);
let src = fs.readFileSync(bundlePath, 'utf8');
const head = '"use strict";(()=>{';
if (!src.startsWith(head)) {
  process.stderr.write('unexpected bundle: it does not start with ' + head + '\n');
  process.exit(1);
}
src = head + `globalThis.__pytopImporter=()=>{${initName}();return ${modName}};` + src.slice(head.length);

// An object that is every browser API at once and does nothing.
function inert() {
  const f = function () { return p; };
  const p = new Proxy(f, {
    get: (t, k) => (k === Symbol.toPrimitive ? () => '' : k === 'then' ? undefined : p),
    apply: () => p,
    construct: () => p,
    set: () => true,
  });
  return p;
}
const stub = inert();
const quiet = { log() {}, warn() {}, error() {}, info() {}, debug() {} };
const ctx = {
  console: quiet, window: stub, document: stub, navigator: stub, location: stub, localStorage: stub,
  requestAnimationFrame: stub, addEventListener: stub, Blob: stub, setTimeout, clearTimeout, URL,
  TextDecoder, TextEncoder, performance, Promise, Uint8Array, ArrayBuffer, DataView,
};
ctx.globalThis = ctx;
ctx.self = ctx;
vm.createContext(ctx);
try {
  vm.runInContext(src, ctx);
} catch (e) {
  // The user interface part needs a real browser; the importer does not.
}

(async () => {
  if (typeof ctx.__pytopImporter !== 'function') throw new Error('the bundle did not run');
  const mod = ctx.__pytopImporter();
  const bytes = fs.readFileSync(profilePath);
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const group = await mod.importProfilesFromArrayBuffer(profilePath.split('/').pop(), ab);
  if (!group) throw new Error('speedscope did not recognise the file');
  const out = { name: group.name, indexToView: group.indexToView, profiles: [] };
  for (const p of group.profiles) {
    const frames = [];
    p.forEachFrame(f => frames.push({
      name: f.name, file: f.file === undefined ? null : f.file, line: f.line === undefined ? null : f.line,
      self: f.getSelfWeight(), total: f.getTotalWeight(),
    }));
    out.profiles.push({ name: p.getName(), unit: p.getWeightUnit(), total: p.getTotalWeight(), frames });
  }
  process.stdout.write(JSON.stringify(out) + '\n');
})().catch(e => {
  process.stderr.write(String((e && e.stack) || e) + '\n');
  process.exit(1);
});
