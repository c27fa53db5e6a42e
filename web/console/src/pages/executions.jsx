// The executions list: filters and pages on the server (state, workflow,
// department, days), search by id, refreshed every few seconds. The
// filters live in the URL (#/executions?state=failed), so a view is a link.
import { useEffect, useState } from 'preact/hooks';
import { get, query, enc } from '../api.js';
import { ErrorBox, Field, Pager, StateBadge, time, useApi, Head } from '../ui.jsx';

const states = ['', 'pending', 'running', 'paused', 'completed', 'failed', 'cancelled', 'quarantined'];

function hashQuery() {
  const at = location.hash.indexOf('?');
  return Object.fromEntries(new URLSearchParams(at >= 0 ? location.hash.slice(at + 1) : ''));
}

export function Executions() {
  const [filters, setFilters] = useState(() => ({ page: 1, ...hashQuery() }));
  const [live, setLive] = useState(true);
  const [found, setFound] = useState(null);
  const workflows = useApi('/api/v1/workflows?limit=100');
  const path = `/api/v1/executions${query({ limit: 50, ...filters })}`;
  const list = useApi(path, live ? 3000 : 0);
  useEffect(() => {
    const { page, ...rest } = filters;
    const q = query(page > 1 ? filters : rest);
    if (location.hash !== `#/executions${q}`) history.replaceState(null, '', `#/executions${q}`);
  }, [filters]);
  const set = (k) => (e) => setFilters({ ...filters, [k]: e.target.value, page: 1 });

  async function search(e) {
    e.preventDefault();
    const id = new FormData(e.target).get('id').trim();
    if (!id) return;
    try {
      await get(`/api/v1/executions/${enc(id)}`);
      location.hash = `#/executions/${enc(id)}`;
    } catch (err) {
      setFound(err);
    }
  }

  return (
    <>
      <h1>Executions</h1>
      <form class="filters" onSubmit={search} aria-label="find an execution">
        <Field label="Execution id">
          <input name="id" maxLength={128} placeholder="e.g. 09f7991c…" />
        </Field>
        <button type="submit">Open</button>
      </form>
      <ErrorBox error={found} />
      <div class="filters" role="group" aria-label="filters">
        <Field label="State">
          <select value={filters.state || ''} onChange={set('state')}>
            {states.map((s) => (
              <option value={s}>{s || 'any'}</option>
            ))}
          </select>
        </Field>
        <Field label="Workflow">
          <select value={filters.workflow || ''} onChange={set('workflow')}>
            <option value="">any</option>
            {workflows.data &&
              workflows.data.workflows.map((w) => <option value={w.name}>{w.name}</option>)}
          </select>
        </Field>
        <Field label="Department">
          <input value={filters.department || ''} onChange={set('department')} maxLength={64} />
        </Field>
        <Field label="From day">
          <input type="date" value={filters.from || ''} onChange={set('from')} />
        </Field>
        <Field label="To day">
          <input type="date" value={filters.to || ''} onChange={set('to')} />
        </Field>
        <label class="check">
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} /> live
        </label>
      </div>
      <ErrorBox error={list.error} />
      {list.data && (
        <>
          <table class="executions" aria-busy={list.loading ? 'true' : 'false'}>
            <Head cols={['id', 'workflow', 'state', 'node', 'created', 'updated']} />
            <tbody>
              {list.data.executions.map((x) => (
                <tr>
                  <td>
                    <a href={`#/executions/${enc(x.id)}`}>
                      <code>{x.id}</code>
                    </a>
                  </td>
                  <td>{x.workflow}</td>
                  <td>
                    <StateBadge state={x.state} />
                  </td>
                  <td>{x.owner_node}</td>
                  <td>{time(x.created_at_ms)}</td>
                  <td>{time(x.updated_at_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.data.executions.length === 0 && <p class="muted">No execution fits these filters.</p>}
          <Pager page={list.data.page} limit={list.data.limit} total={list.data.total} onPage={(page) => setFilters({ ...filters, page })} />
        </>
      )}
    </>
  );
}
