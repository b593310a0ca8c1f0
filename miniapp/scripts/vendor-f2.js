'use strict';
// Copies F2 and its Alipay/DingTalk canvas adapter from node_modules into vendor/ — the files
// the developer tool uploads as they are (no npm build step on the tool's side):
//   npm install && npm run vendor
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const NM = path.join(ROOT, 'node_modules', '@antv');
const OUT = path.join(ROOT, 'vendor', 'f2');

const copies = [
  [path.join(NM, 'f2', 'dist', 'f2.min.js'), 'f2.min.js'],
  [path.join(NM, 'f2', 'LICENSE'), 'LICENSE-f2'],
  [path.join(NM, 'f2-context', 'lib', 'context', 'my.js'), 'context-my.js'],
  [path.join(NM, 'f2-context', 'LICENSE'), 'LICENSE-f2-context'],
  [path.join(NM, 'my-f2', 'LICENSE'), 'LICENSE-my-f2'],
];

fs.mkdirSync(OUT, { recursive: true });
for (const [from, to] of copies) fs.copyFileSync(from, path.join(OUT, to));
const version = (name) => JSON.parse(fs.readFileSync(path.join(NM, name, 'package.json'), 'utf8')).version;
fs.writeFileSync(
  path.join(OUT, 'VERSION'),
  ['f2', 'f2-context', 'my-f2'].map((n) => '@antv/' + n + ' ' + version(n)).join('\n') + '\n'
);
console.log('vendored into ' + path.relative(ROOT, OUT));
