// Makes the Postman collection of the API from docs/openapi.yaml, with a
// test on every request: the status is one the document lists for the
// operation, a JSON answer parses, and an error answer has the error
// format. Deterministic (ids and generated examples are dropped), so that
// the committed collection can be checked against the document.
//
//   node api-tests/postman.js OUT.json   writes the collection
//   node api-tests/postman.js --check    fails when docs/postman/ is stale
'use strict';
const fs = require('fs');
const path = require('path');
const converter = require('openapi-to-postmanv2');
const YAML = require('yaml');

const root = path.join(__dirname, '..', '..');
const docPath = path.join(root, 'docs', 'openapi.yaml');
const committed = path.join(root, 'docs', 'postman', 'hishamos.postman_collection.json');

// operation key "GET /api/v1/x/{id}" -> documented status codes
function documentedStatuses(doc) {
  const out = {};
  for (const [p, item] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(item))
      if (method !== 'parameters')
        out[`${method.toUpperCase()} ${p}`] = Object.keys(op.responses).map(Number);
  return out;
}

function testScript(codes) {
  return [
    `pm.test("the status is one the document lists", function () {`,
    `  pm.expect(${JSON.stringify(codes)}).to.include(pm.response.code);`,
    `});`,
    `pm.test("every answer carries a request id", function () {`,
    `  pm.expect(pm.response.headers.get("X-Request-Id")).to.be.a("string");`,
    `});`,
    `if ((pm.response.headers.get("Content-Type") || "").startsWith("application/json")) {`,
    `  pm.test("JSON parses", function () { pm.response.json(); });`,
    `  if (pm.response.code >= 400) {`,
    `    pm.test("errors have the error format", function () {`,
    `      var e = pm.response.json();`,
    `      pm.expect(e).to.have.property("error");`,
    `      pm.expect(e).to.have.property("message");`,
    `      pm.expect(e).to.have.property("details");`,
    `    });`,
    `  }`,
    `}`,
  ];
}

// Postman path segments back to the document's pattern: ":id" -> "{id}".
function patternOf(request) {
  return '/' + request.url.path.map((s) => (s.startsWith(':') ? `{${s.slice(1)}}` : s)).join('/');
}

function clean(node, statuses) {
  if (Array.isArray(node)) return node.map((x) => clean(x, statuses));
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'id' || k === '_postman_id' || k === 'response') continue;
    out[k] = clean(v, statuses);
  }
  if (out.request && out.request.url) {
    const key = `${out.request.method} ${patternOf(out.request)}`;
    const codes = statuses[key];
    if (!codes) throw new Error(`no documented operation for ${key}`);
    out.event = [{ listen: 'test', script: { type: 'text/javascript', exec: testScript(codes) } }];
  }
  return out;
}

function make(callback) {
  const text = fs.readFileSync(docPath, 'utf8');
  const statuses = documentedStatuses(YAML.parse(text));
  converter.convert(
    { type: 'string', data: text },
    { folderStrategy: 'Tags', requestParametersResolution: 'Schema',
      exampleParametersResolution: 'Schema', includeAuthInfoInExample: false },
    (err, res) => {
      if (err || !res.result) throw err || new Error(res.reason);
      const col = clean(res.output[0].data, statuses);
      col.item = col.item.filter((folder) => folder.item && folder.item.length > 0);
      // The variables the collection is run with: {{base_url}}, and
      // {{access_token}} for the bearer scheme.
      const text = JSON.stringify(col, null, 2)
        .replace(/\{\{baseUrl\}\}/g, '{{base_url}}')
        .replace(/"key": "baseUrl"/g, '"key": "base_url"')
        .replace(/\{\{bearerToken\}\}/g, '{{access_token}}');
      callback(text + '\n');
    });
}

const arg = process.argv[2];
make((json) => {
  if (arg === '--check') {
    const now = fs.existsSync(committed) ? fs.readFileSync(committed, 'utf8') : '';
    if (now !== json) {
      console.error(`${committed} is not what docs/openapi.yaml makes: ` +
                    'run `node web/api-tests/postman.js docs/postman/hishamos.postman_collection.json`');
      process.exit(1);
    }
    return;
  }
  if (!arg) {
    console.error('usage: postman.js OUT.json | --check');
    process.exit(2);
  }
  fs.mkdirSync(path.dirname(path.resolve(arg)), { recursive: true });
  fs.writeFileSync(arg, json);
});
