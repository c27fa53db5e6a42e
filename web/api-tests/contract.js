// Contract fuzzing: requests generated from docs/openapi.yaml (fast-check)
// against a running node; every answer must have a status the document
// lists for its operation and a body that its schema (ajv, JSON Schema
// 2020-12 as OpenAPI 3.1 uses) accepts; errors must have the error format.
// Besides random values, each parameter gets values of its schema's
// edges (0, -1, over the maximum, not a number, very long, %-escapes).
//
//   node api-tests/contract.js http://127.0.0.1:8080 [runs per operation]
//
// The seed is printed; HISHAMOS_CONTRACT_SEED=N replays a run.
'use strict';
const fs = require('fs');
const path = require('path');
const fc = require('fast-check');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats');
const YAML = require('yaml');

const base = process.argv[2];
const runs = Number(process.argv[3] || 25);
const apiKey = process.env.HISHAMOS_API_KEY || '';
const seed = Number(process.env.HISHAMOS_CONTRACT_SEED || Math.floor(Math.random() * 2 ** 31));
if (!base) {
  console.error('usage: contract.js BASE_URL [runs]');
  process.exit(2);
}
const doc = YAML.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'openapi.yaml'), 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: false });
addFormats(ajv);
ajv.addSchema({ $id: 'doc', components: doc.components });

function deref(x) {
  while (x && x.$ref) x = x.$ref.split('/').slice(1).reduce((o, k) => o[k], doc);
  return x;
}
function validatorFor(schema) {
  // '#/components/...' inside the schema refer to the document.
  const text = JSON.stringify(schema).replace(/"#\/components\//g, '"doc#/components/');
  return ajv.compile(JSON.parse(text));
}

const edge = fc.constantFrom('0', '-1', '1', '100', '101', '1000000000', '99999999999999999999',
                             '5abc', '', ' ', 'null', '%00', '%ZZ', 'a'.repeat(300), '1e3',
                             '2026-13-45', '2026-11-01', 'ünïcode', '../../etc');
function valueFor(schema) {
  schema = deref(schema) || {};
  const arbs = [edge, fc.string({ maxLength: 40 })];
  if (schema.enum) arbs.push(fc.constantFrom(...schema.enum.map(String)));
  if (schema.type === 'integer')
    arbs.push(fc.integer({ min: (schema.minimum ?? 0) - 2, max: (schema.maximum ?? 1000) + 2 }).map(String));
  if (schema.format === 'date')
    arbs.push(fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10)));
  return fc.oneof(...arbs);
}

function bodyArb(op) {
  const content = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
  const arbs = [fc.json({ depthSize: 'small' }), fc.constant(''), fc.constant('{'), fc.constant('{"input": {"feature": "f"}}'),
                fc.constant('{"executions": [{"workflow": "Build New Feature", "input": {"feature": "x"}}]}'),
                fc.constant('{"score": 0.5}'), fc.constant('{"version": 1}'), fc.constant('[' .repeat(200) + ']'.repeat(200))];
  if (!content) return fc.constant(null);
  return fc.oneof(...arbs);
}

const failures = [];
let requests = 0;

async function call(method, url, body) {
  // The node's admin key (HISHAMOS_API_KEY): the routes answer as they
  // do for a caller who may use them.
  const init = { method, headers: apiKey ? { 'X-API-Key': apiKey } : {} };
  if (body !== null && body !== undefined) {
    init.body = body;
    init.headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(url, init);
  const text = await res.text();
  requests += 1;
  return { status: res.status, type: res.headers.get('content-type') || '', text, id: res.headers.get('x-request-id') };
}

function check(opKey, op, url, res) {
  const documented = op.responses[String(res.status)];
  const problem = (why) => failures.push(`${opKey}: ${url} -> ${res.status}: ${why}: ${res.text.slice(0, 200)}`);
  if (!res.id) problem('no X-Request-Id');
  if (res.status >= 500 && res.status !== 503) return problem('a server error');
  if (!documented) return problem('status not documented');
  const resp = deref(documented);
  const media = resp.content && (resp.content['application/json'] ? 'application/json' : null);
  if (!media) return;
  if (!res.type.startsWith('application/json')) return problem(`content type ${res.type}`);
  let json;
  try { json = JSON.parse(res.text); } catch (e) { return problem('body is not JSON'); }
  const validate = validatorFor(resp.content[media].schema);
  if (!validate(json)) problem(`body does not fit its schema: ${ajv.errorsText(validate.errors)}`);
}

// A path parameter as one segment. A URL parser folds the dot segments
// "." and ".." (plain or %2E-encoded) into the path before it is sent, so
// such a value never reaches the route it was generated for: it is sent as
// an id no store has, like an empty one.
function pathSegment(v) {
  if (v === undefined || v === '' || v === '.' || v === '..') return 'x';
  return v;
}

async function fuzz(p, method, op, itemParams) {
  const params = [...(itemParams || []), ...(op.parameters || [])].map(deref);
  const shape = {};
  for (const prm of params) if (prm.in === 'path' || prm.in === 'query') shape[`${prm.in}:${prm.name}`] = fc.option(valueFor(prm.schema), { nil: undefined, freq: 3 });
  shape.body = bodyArb(op);
  const key = `${method.toUpperCase()} ${p}`;
  if (p.endsWith('/events')) return; // a stream; covered by the C++ tests
  await fc.assert(fc.asyncProperty(fc.record(shape), async (x) => {
    let url = p;
    const query = new URLSearchParams();
    for (const prm of params) {
      const v = x[`${prm.in}:${prm.name}`];
      if (prm.in === 'path') url = url.replace(`{${prm.name}}`, encodeURIComponent(pathSegment(v)));
      else if (v !== undefined) query.set(prm.name, v);
    }
    const q = query.toString();
    const full = base + url + (q ? `?${q}` : '');
    const res = await call(method.toUpperCase(), full, x.body);
    const before = failures.length;
    check(key, op, full, res);
    return failures.length === before;
  }), { numRuns: runs, endOnFailure: true, seed }).catch(() => {});
}

(async () => {
  for (const [p, item] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(item))
      if (method !== 'parameters') await fuzz(p, method, op, item.parameters);
  console.log(`${requests} requests, seed ${seed} (HISHAMOS_CONTRACT_SEED)`);
  if (failures.length) {
    for (const f of failures) console.error(f);
    process.exit(1);
  }
})();
