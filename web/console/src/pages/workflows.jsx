// Workflows: the list, one workflow's definition (YAML) with its versions
// and a diff between two, the editor (the validator's problems marked at
// their line) and a run form made from the workflow's inputs.
import { useEffect, useRef, useState } from 'preact/hooks';
import YAML from 'yaml';
import { diffLines } from 'diff';
import { api, enc, get } from '../api.js';
import { ErrorBox, Field, Loading, Pager, StateBadge, time, useApi, useCan, Head } from '../ui.jsx';

export function Workflows() {
  const can = useCan();
  const [page, setPage] = useState(1);
  const list = useApi(`/api/v1/workflows?limit=50&page=${page}`);
  return (
    <>
      <h1>Workflows</h1>
      {can('create_workflow') && (
        <p>
          <a class="button primary" href="#/workflows/new">
            New workflow
          </a>
        </p>
      )}
      <ErrorBox error={list.error} />
      {list.data && (
        <>
          <table>
            <Head cols={['name', 'status', 'version', 'steps', 'department', 'executions', 'last run']} />
            <tbody>
              {list.data.workflows.map((w) => (
                <tr>
                  <td>
                    <a href={`#/workflows/${enc(w.name)}`}>{w.name}</a>
                    <div class="muted">{w.description}</div>
                  </td>
                  <td>
                    <StateBadge state={w.status} />
                  </td>
                  <td>{w.version}</td>
                  <td>{w.steps}</td>
                  <td>{w.department}</td>
                  <td>{w.execution_count}</td>
                  <td>{time(w.last_execution_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager page={list.data.page} limit={list.data.limit} total={list.data.total} onPage={setPage} />
        </>
      )}
    </>
  );
}

const yamlOf = (definition) => YAML.stringify(definition, { lineWidth: 0 });

function Diff({ a, b }) {
  const parts = diffLines(a, b);
  return (
    <pre tabIndex={0} class="diff" aria-label="differences">
      {parts.map((p) => (
        <span class={p.added ? 'added' : p.removed ? 'removed' : ''}>
          {p.value
            .replace(/\n$/, '')
            .split('\n')
            .map((l) => `${p.added ? '+ ' : p.removed ? '- ' : '  '}${l}\n`)
            .join('')}
        </span>
      ))}
    </pre>
  );
}

export function WorkflowPage({ param: name }) {
  const can = useCan();
  const wf = useApi(`/api/v1/workflows/${enc(name)}`);
  const versions = useApi(`/api/v1/workflows/${enc(name)}/versions?limit=100`);
  const [left, setLeft] = useState('');
  const [right, setRight] = useState('');
  const [error, setError] = useState(null);
  const all = [...((versions.data && versions.data.versions) || [])].sort((a, b) => b.version - a.version);
  const byVersion = Object.fromEntries(all.map((v) => [v.version, v]));
  useEffect(() => {
    if (all.length && !right) {
      setRight(String(all[0].version));
      setLeft(String(all[Math.min(1, all.length - 1)].version));
    }
  }, [all.length]);
  async function activate(version) {
    setError(null);
    try {
      await api('POST', `/api/v1/workflows/${enc(name)}/activate`, { version });
      wf.reload();
      versions.reload();
    } catch (e) {
      setError(e);
    }
  }
  if (!wf.data) return wf.error ? <ErrorBox error={wf.error} /> : <Loading />;
  const w = wf.data;
  return (
    <>
      <h1>
        {w.name} <StateBadge state={w.status} />
      </h1>
      <p>
        {w.description} · active version {w.version} of {w.latest_version} · {w.department}
      </p>
      <div class="actions">
        {can('run_execution') && w.status === 'active' && (
          <a class="button primary" href={`#/workflows/${enc(name)}/run`}>
            Run
          </a>
        )}
        {can('create_workflow') && (
          <a class="button" href={`#/workflows/${enc(name)}/edit`}>
            Edit
          </a>
        )}
        <a class="button" href={`#/executions?workflow=${enc(name)}`}>
          Executions
        </a>
      </div>
      <ErrorBox error={error} />
      <h2>Definition (version {w.version})</h2>
      <pre tabIndex={0} class="yaml">{yamlOf(w.definition)}</pre>
      <h2>Versions</h2>
      <table>
        <Head cols={['version', 'created', 'active', <span class="sr-only">actions</span>]} />
        <tbody>
          {all.map((v) => (
            <tr>
              <td>{v.version}</td>
              <td>{time(v.created_at_ms)}</td>
              <td>{v.active ? 'yes' : ''}</td>
              <td>{can('create_workflow') && !v.active && <button onClick={() => activate(v.version)}>Activate</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {all.length > 1 && (
        <section aria-label="compare versions">
          <h2>Compare</h2>
          <div class="filters">
            <Field label="From version">
              <select value={left} onChange={(e) => setLeft(e.target.value)}>
                {all.map((v) => (
                  <option value={v.version}>{v.version}</option>
                ))}
              </select>
            </Field>
            <Field label="To version">
              <select value={right} onChange={(e) => setRight(e.target.value)}>
                {all.map((v) => (
                  <option value={v.version}>{v.version}</option>
                ))}
              </select>
            </Field>
          </div>
          {byVersion[left] && byVersion[right] && <Diff a={yamlOf(byVersion[left].definition)} b={yamlOf(byVersion[right].definition)} />}
        </section>
      )}
    </>
  );
}

const starter = `name: My Workflow
description: What it does
department: engineering
inputs:
  topic: {type: string, required: true}
steps:
  - id: draft
    agent_id: agent_cto_001
    command_template_id: cmd_design_architecture
    params: {feature: "{{inputs.topic}}"}
`;

export function WorkflowEditor({ param: name }) {
  const [text, setText] = useState(name ? null : starter);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  const area = useRef(null);
  const gutter = useRef(null);
  useEffect(() => {
    if (!name) return;
    get(`/api/v1/workflows/${enc(name)}/versions?limit=1`).then(
      (v) => setText(yamlOf(v.versions[0].definition)),
      setError,
    );
  }, [name]);
  if (text === null) return error ? <ErrorBox error={error} /> : <Loading />;
  const problems = (error && error.details && error.details.problems) || [];
  const bad = new Set(problems.map((p) => p.line).filter(Boolean));
  const lines = text.split('\n').length;
  function goTo(line) {
    const at = text.split('\n').slice(0, line - 1).join('\n').length + (line > 1 ? 1 : 0);
    area.current.focus();
    area.current.setSelectionRange(at, at + (text.split('\n')[line - 1] || '').length);
  }
  async function save(e) {
    e.preventDefault();
    setError(null);
    setSaved(null);
    try {
      const got = name
        ? await api('PUT', `/api/v1/workflows/${enc(name)}`, text, 'application/yaml')
        : await api('POST', '/api/v1/workflows', text, 'application/yaml');
      setSaved(got);
    } catch (err) {
      setError(err);
    }
  }
  const savedName = saved && (saved.name || saved.workflow_id || name);
  return (
    <>
      <h1>{name ? `Edit ${name}` : 'New workflow'}</h1>
      <p class="muted">YAML. Saving adds a version as a draft; activate it on the workflow's page.</p>
      <form onSubmit={save} aria-label="workflow definition">
        <div class="editor">
          <ol class="gutter" ref={gutter} aria-hidden="true">
            {Array.from({ length: lines }, (_, i) => (
              <li class={bad.has(i + 1) ? 'bad' : ''} data-line={i + 1}>
                {i + 1}
              </li>
            ))}
          </ol>
          <textarea
            ref={area}
            aria-label="workflow YAML"
            spellcheck={false}
            value={text}
            rows={Math.max(16, lines + 1)}
            maxLength={262144}
            onInput={(e) => setText(e.target.value)}
            onScroll={(e) => (gutter.current.scrollTop = e.target.scrollTop)}
          />
        </div>
        {error && (
          <div class="error" role="alert">
            <strong>{error.message}</strong>
            <ul class="problems">
              {problems.slice(0, 100).map((p) => (
                <li>
                  {p.line ? (
                    <button type="button" class="link" onClick={() => goTo(p.line)}>
                      line {p.line}
                    </button>
                  ) : null}{' '}
                  {p.step && `step ${p.step}: `}
                  {p.message}
                  {p.fix && <span class="fix"> ({p.fix})</span>}
                </li>
              ))}
            </ul>
            {!problems.length && error.details && error.details.fix && <div class="fix">{error.details.fix}</div>}
          </div>
        )}
        <button type="submit" class="primary">
          Save
        </button>
        {saved && (
          <span role="status">
            {' '}
            Saved as version {saved.version}. <a href={`#/workflows/${enc(savedName)}`}>Open {savedName}</a>
          </span>
        )}
      </form>
    </>
  );
}

// A form value as the input's declared type wants it.
function typed(spec, raw) {
  if (spec.type === 'boolean') return raw === 'on';
  if (raw === '' || raw === null) return undefined;
  if (spec.type === 'number' || spec.type === 'integer') return Number(raw);
  if (spec.type === 'object' || spec.type === 'array') return JSON.parse(raw);
  return raw;
}

export function RunForm({ param: name }) {
  const wf = useApi(`/api/v1/workflows/${enc(name)}`);
  const [error, setError] = useState(null);
  if (!wf.data) return wf.error ? <ErrorBox error={wf.error} /> : <Loading />;
  const inputs = Object.entries(wf.data.definition.inputs || {});
  async function run(e) {
    e.preventDefault();
    const f = new FormData(e.target);
    setError(null);
    try {
      const input = {};
      for (const [k, spec] of inputs) {
        const v = typed(spec, f.get(k));
        if (v !== undefined) input[k] = v;
      }
      const got = await api('POST', `/api/v1/workflows/${enc(name)}/execute`, { input });
      location.hash = `#/executions/${enc(got.execution_id)}`;
    } catch (err) {
      setError(err instanceof SyntaxError ? { message: `not JSON: ${err.message}` } : err);
    }
  }
  return (
    <>
      <h1>Run {name}</h1>
      <form onSubmit={run} aria-label="workflow inputs" class="narrow">
        {inputs.length === 0 && <p class="muted">This workflow takes no input.</p>}
        {inputs.map(([k, spec]) => (
          <Field label={`${k}${spec.required ? ' (required)' : ''}${spec.description ? `: ${spec.description}` : ''}`}>
            {spec.type === 'boolean' ? (
              <input type="checkbox" name={k} defaultChecked={!!spec.default} />
            ) : spec.type === 'object' || spec.type === 'array' ? (
              <textarea name={k} required={spec.required} rows={4} defaultValue={spec.default ? JSON.stringify(spec.default) : ''} />
            ) : (
              <input
                name={k}
                type={spec.type === 'number' || spec.type === 'integer' ? 'number' : 'text'}
                step={spec.type === 'number' ? 'any' : undefined}
                required={spec.required}
                maxLength={65536}
                defaultValue={spec.default ?? ''}
              />
            )}
          </Field>
        ))}
        <ErrorBox error={error} />
        <button type="submit" class="primary">
          Start
        </button>
      </form>
    </>
  );
}
