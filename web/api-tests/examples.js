// The examples of docs/openapi.yaml are real answers of a real node.
//
//   node api-tests/examples.js --refresh BASE_URL   runs the requests below
//       against a fresh node (`hishamos dev`) and writes each request body
//       and answer into the document as its example
//   node api-tests/examples.js --check              fails unless every
//       request body and response of every operation has an example and
//       each example fits its schema
'use strict';
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats');

const docPath = path.join(__dirname, '..', '..', 'docs', 'openapi.yaml');
const yamlOptions = { lineWidth: 0, flowCollectionPadding: false };

function deref(doc, x) {
  while (x && x.$ref) x = x.$ref.split('/').slice(1).reduce((o, k) => o[k], doc);
  return x;
}

// Shortens an answer for the document: long strings cut, at most two
// items of an array; the shape stays.
function shorten(x) {
  if (typeof x === 'string') return x.length > 160 ? x.slice(0, 157) + '...' : x;
  if (Array.isArray(x)) return x.slice(0, 2).map(shorten);
  if (x && typeof x === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(x)) out[k] = shorten(v);
    return out;
  }
  return x;
}

const workflowYaml = `name: Release Notes
description: Drafts release notes and has them reviewed
department: engineering
inputs:
  topic: {type: string, required: true}
steps:
  - id: draft
    agent_id: agent_cto_001
    command_template_id: cmd_design_architecture
    params: {feature: "{{inputs.topic}}"}
  - id: review
    depends_on: [draft]
    agent_id: agent_reviewer_001
    command_template_id: cmd_review_code
    params: {backend: "{{steps.draft.output}}", frontend: "-"}
`;

// Answers too large or not JSON: written by hand.
const fixed = {
  'GET /metrics 200': { 'text/plain': '# HELP hishamos_executions_total Executions that entered each state\n# TYPE hishamos_executions_total counter\nhishamos_executions_total{state="completed"} 12\n' },
  'GET /api/openapi.json 200': { 'application/json': { openapi: '3.1.0', info: { title: 'HishamOS API', version: '1.0.0' }, paths: {} } },
  'GET /api/openapi.yaml 200': { 'application/yaml': 'openapi: 3.1.0\ninfo:\n  title: HishamOS API\n' },
  'GET /api/docs 200': { 'text/html': '<!doctype html>\n<html lang="en">...</html>\n' },
  'GET /api/redoc 200': { 'text/html': '<!doctype html>\n<html lang="en">...</html>\n' },
  'GET /api/v1/executions/{id}/events 200': { 'text/event-stream': 'event: snapshot\ndata: {"id": "ex-1", "state": "running"}\n\nevent: checkpointed\ndata: {"kind": "checkpointed", "execution_id": "ex-1", "step_id": "design", "attempt": 1}\n\nevent: finished\ndata: {"kind": "finished", "execution_id": "ex-1", "state": "completed"}\n\n' },
  'components Unavailable': { 'application/json': { error: 'overloaded', message: 'node n1 is overloaded: too many requests at once', details: { fix: 'retry after the number of seconds in Retry-After' } } },
  'POST /api/v1/executions/{id}/approve 200': { 'application/json': { execution_id: 'ex-1', state: 'running', approved_until_usd: 5 } },
};

async function refresh(base) {
  const text = fs.readFileSync(docPath, 'utf8');
  const document = YAML.parseDocument(text);
  const doc = document.toJS();
  const answers = {}; // "METHOD pattern status" -> body
  const requests = {}; // "METHOD pattern" -> {type, body}
  const errors = {};
  async function call(method, pattern, url, body, type = 'application/json', headers = {}) {
    const init = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      init.headers['Content-Type'] = type;
      requests[`${method} ${pattern}`] = requests[`${method} ${pattern}`] || { type, body };
    }
    const res = await fetch(base + url, init);
    const raw = await res.text();
    let parsed = raw;
    try { parsed = JSON.parse(raw); } catch (e) { /* text */ }
    const key = `${method} ${pattern} ${res.status}`;
    if (!(key in answers)) answers[key] = parsed;
    return { status: res.status, body: parsed };
  }
  const get = (pattern, url) => call('GET', pattern, url || pattern);
  const post = (pattern, url, body, type, headers) => call('POST', pattern, url, body, type, headers);
  const wf = encodeURIComponent('Build New Feature');

  const started = await post('/api/v1/workflows/{name}/execute', `/api/v1/workflows/${wf}/execute`,
    { input: { feature: 'search' } }, 'application/json', { 'Idempotency-Key': 'example-1' });
  await post('/api/v1/workflows/{name}/execute', `/api/v1/workflows/${wf}/execute`,
    { input: { feature: 'search' } }, 'application/json', { 'Idempotency-Key': 'example-1' });
  const id = started.body.execution_id;
  for (let i = 0; i < 400; i++) {
    const x = await fetch(`${base}/api/v1/executions/${id}`).then((r) => r.json());
    if (x.state === 'completed') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 1200)); // results reach the store in batches
  await get('/health'); await get('/ready');
  await get('/api/v1/executions/{id}', `/api/v1/executions/${id}`);
  await get('/api/v1/executions', '/api/v1/executions?limit=2');
  await get('/api/v1/executions/{id}/results', `/api/v1/executions/${id}/results?limit=2`);
  for (let i = 0; i < 2; i++) // created, then found by its id
    await post('/api/v1/executions', '/api/v1/executions',
      { workflow: 'Build New Feature', input: { feature: 'export' }, execution_id: 'example-2' });
  await post('/api/v1/executions/batch', '/api/v1/executions/batch', { executions: [
    { workflow: 'Build New Feature', input: { feature: 'a' } },
    { workflow: 'No Such Workflow', input: {} }] });
  await post('/api/v1/executions/{id}/cancel', '/api/v1/executions/example-2/cancel');
  for (let i = 0; i < 200; i++) {
    const x = await fetch(`${base}/api/v1/executions/example-2`).then((r) => r.json());
    if (x.state === 'cancelled') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await post('/api/v1/executions/{id}/retry', '/api/v1/executions/example-2/retry');
  errors.Conflict = (await post('/api/v1/executions/{id}/approve', `/api/v1/executions/${id}/approve`, { extra_usd: 2.5 })).body;
  errors.NotFound = (await get('/api/v1/executions/{id}', '/api/v1/executions/nope')).body;
  errors.BadRequest = (await get('/api/v1/executions', '/api/v1/executions?limit=0')).body;
  errors.Unprocessable = (await post('/api/v1/workflows/{name}/execute', `/api/v1/workflows/${wf}/execute`, { input: {} })).body;

  await get('/api/v1/workflows', '/api/v1/workflows?limit=2');
  await post('/api/v1/workflows', '/api/v1/workflows', workflowYaml, 'application/yaml');
  const rn = encodeURIComponent('Release Notes');
  await get('/api/v1/workflows/{name}', `/api/v1/workflows/${rn}`);
  await call('PUT', '/api/v1/workflows/{name}', `/api/v1/workflows/${rn}`, workflowYaml.replace('Drafts', 'Writes'), 'application/yaml');
  await post('/api/v1/workflows/{name}/activate', `/api/v1/workflows/${rn}/activate`, { version: 2 });
  await get('/api/v1/workflows/{name}/versions', `/api/v1/workflows/${rn}/versions?limit=2`);
  await get('/api/v1/workflows/{name}/versions/{version}', `/api/v1/workflows/${rn}/versions/1`);
  await call('DELETE', '/api/v1/workflows/{name}', `/api/v1/workflows/${rn}`);
  const templates = await get('/api/v1/templates', '/api/v1/templates?limit=2');
  const tid = templates.body.templates[0].id;
  await get('/api/v1/templates/{id}', `/api/v1/templates/${tid}`);
  await get('/api/v1/templates/{id}/versions', `/api/v1/templates/${tid}/versions`);
  await get('/api/v1/agents', '/api/v1/agents?limit=2');
  await get('/api/v1/agents/quality');
  await get('/api/v1/agents/{id}', '/api/v1/agents/agent_cto_001');
  const today = new Date().toISOString().slice(0, 10);
  await get('/api/v1/agents/{id}/daily', `/api/v1/agents/agent_cto_001/daily?from=${today}&to=${today}`);
  await get('/api/v1/results/{id}', `/api/v1/results/${id}.design`);
  await post('/api/v1/results/{id}/rating', `/api/v1/results/${id}.design/rating`, { score: 0.9 });
  await get('/api/v1/costs', '/api/v1/costs?by=agent&limit=2');
  await get('/api/v1/analytics/costs', '/api/v1/analytics/costs?by=workflow');
  await get('/api/v1/analytics/workflows');
  await get('/api/v1/budgets'); await get('/api/v1/nodes'); await get('/api/v1/locks');

  // Write them in.
  const setExample = (pathKeys, value) => {
    const node = document.getIn(pathKeys, true);
    if (!node) throw new Error(`no ${pathKeys.join('/')}`);
    document.setIn([...pathKeys, 'example'], document.createNode(value));
  };
  for (const [name, body] of Object.entries(errors))
    setExample(['components', 'responses', name, 'content', 'application/json'], shorten(body));
  setExample(['components', 'responses', 'Unavailable', 'content', 'application/json'], fixed['components Unavailable']['application/json']);
  for (const [p, item] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters') continue;
      const key = `${method.toUpperCase()} ${p}`;
      const req = requests[key];
      if (op.requestBody && req)
        for (const type of Object.keys(op.requestBody.content))
          if (type === req.type || (type === 'application/json' && typeof req.body === 'object'))
            setExample(['paths', p, method, 'requestBody', 'content', type], req.body);
          else if (type === 'application/json' && req.type === 'application/yaml')
            setExample(['paths', p, method, 'requestBody', 'content', type], YAML.parse(req.body));
      for (const [status, resp] of Object.entries(op.responses)) {
        if (resp.$ref) continue; // the component's example
        for (const type of Object.keys(resp.content || {})) {
          const hand = fixed[`${key} ${status}`];
          let value = hand ? hand[type] : undefined;
          if (value === undefined && `${key} ${status}` in answers) value = shorten(answers[`${key} ${status}`]);
          if (value !== undefined)
            setExample(['paths', p, method, 'responses', status, 'content', type], value);
        }
      }
    }
  fs.writeFileSync(docPath, document.toString(yamlOptions));
}

function check() {
  const doc = YAML.parse(fs.readFileSync(docPath, 'utf8'));
  const ajv = new Ajv2020({ strict: false });
  addFormats(ajv);
  ajv.addSchema({ $id: 'doc', components: doc.components });
  const problems = [];
  const fits = (where, media) => {
    if (!media || media.example === undefined) return problems.push(`${where}: no example`);
    if (!media.schema) return;
    const schema = JSON.parse(JSON.stringify(media.schema).replace(/"#\/components\//g, '"doc#/components/'));
    const v = ajv.compile(schema);
    if (!v(media.example)) problems.push(`${where}: the example does not fit: ${ajv.errorsText(v.errors)}`);
  };
  for (const [name, resp] of Object.entries(doc.components.responses))
    for (const [type, media] of Object.entries(resp.content || {})) fits(`components/responses/${name} ${type}`, media);
  for (const [p, item] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters') continue;
      const key = `${method.toUpperCase()} ${p}`;
      if (op.requestBody)
        for (const [type, media] of Object.entries(op.requestBody.content)) fits(`${key} request ${type}`, media);
      for (const [status, resp] of Object.entries(op.responses)) {
        if (resp.$ref) continue;
        for (const [type, media] of Object.entries(resp.content || {})) fits(`${key} ${status} ${type}`, media);
      }
    }
  if (problems.length) {
    problems.forEach((x) => console.error(x));
    process.exit(1);
  }
}

if (process.argv[2] === '--refresh' && process.argv[3]) refresh(process.argv[3]).catch((e) => { console.error(e); process.exit(1); });
else if (process.argv[2] === '--check') check();
else { console.error('usage: examples.js --refresh BASE_URL | --check'); process.exit(2); }
