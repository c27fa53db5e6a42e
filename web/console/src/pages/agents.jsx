// Agents (load, capacity, learned quality per category, cost and latency
// by day) and the cluster (nodes, leases, connections, resource locks).
import { useState } from 'preact/hooks';
import { enc } from '../api.js';
import { Chart, ErrorBox, Loading, day, millis, time, usd, useApi, Head } from '../ui.jsx';

function AgentDays({ id }) {
  const days = useApi(`/api/v1/agents/${enc(id)}/daily?from=${day(-13)}&to=${day(0)}`);
  if (!days.data) return days.error ? <ErrorBox error={days.error} /> : <Loading />;
  const rows = days.data.days;
  if (!rows.length) return <p class="muted">No task in the last 14 days.</p>;
  const xs = rows.map((_, i) => i);
  const labels = rows.map((r) => r.day.slice(5));
  return (
    <div class="columns">
      <Chart title={`${id}: cost per day (USD)`} labels={labels} data={[xs, rows.map((r) => r.cost)]} series={['cost']} bars />
      <Chart title={`${id}: tasks per day`} labels={labels} data={[xs, rows.map((r) => r.tasks)]} series={['tasks']} bars />
      <Chart title={`${id}: mean latency per day (ms)`} labels={labels} data={[xs, rows.map((r) => r.avg_latency_ms)]} series={['latency']} bars />
    </div>
  );
}

export function Agents() {
  const agents = useApi('/api/v1/agents', 5000);
  const quality = useApi('/api/v1/agents/quality', 10000);
  const [open, setOpen] = useState(null);
  if (!agents.data) return agents.error ? <ErrorBox error={agents.error} /> : <Loading />;
  const learned = (quality.data && quality.data.learned) || [];
  return (
    <>
      <h1>Agents</h1>
      <table>
        <Head cols={['agent', 'load', 'model', 'learned quality', 'calls', 'cost', 'latency']} />
        <tbody>
          {agents.data.agents.map((a) => (
            <tr>
              <td>
                <button class="link" onClick={() => setOpen(open === a.id ? null : a.id)} aria-expanded={open === a.id}>
                  {a.id}
                </button>
                <div class="muted">
                  {a.name} · {a.department} · {a.capabilities.join(', ')} {a.node && `· on ${a.node}`}
                </div>
              </td>
              <td>
                <meter min="0" max={a.capacity} value={a.load} aria-label={`load of ${a.id}`} /> {a.load}/{a.capacity}
              </td>
              <td>
                {a.provider}/{a.model}
              </td>
              <td>
                {learned
                  .filter((q) => q.agent === a.id)
                  .map((q) => (
                    <div>
                      {q.category}: {q.mean.toFixed(2)} <span class="muted">({q.successes}✓ {q.failures}✗)</span>
                    </div>
                  ))}
              </td>
              <td>{a.cost.calls}</td>
              <td>{usd(a.cost.cost_usd)}</td>
              <td>{millis(a.cost.avg_latency_ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {open && <AgentDays id={open} />}
    </>
  );
}

export function Cluster() {
  const nodes = useApi('/api/v1/nodes', 3000);
  const locks = useApi('/api/v1/locks', 3000);
  return (
    <>
      <h1>Cluster</h1>
      <ErrorBox error={nodes.error} />
      {nodes.data && (
        <table>
          <Head cols={['node', 'connected', 'lease', 'peer address', 'HTTP', 'agents']} />
          <tbody>
            {nodes.data.nodes.map((n) => (
              <tr>
                <td>
                  {n.id} {n.self && <span class="muted">(answering)</span>}
                </td>
                <td>{n.connected ? 'yes' : 'no'}</td>
                <td>
                  {n.lease} {n.lease_expires_at_ms ? time(n.lease_expires_at_ms) : ''}
                </td>
                <td>{n.address || '–'}</td>
                <td>{n.http_address}</td>
                <td>{(n.agents || []).map((a) => `${a.id} ${a.load}/${a.capacity}`).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Resource locks</h2>
      <ErrorBox error={locks.error} />
      {locks.data && (
        <div class="columns">
          {['held', 'waiting', 'awaiting_sync'].map((k) => (
            <section>
              <h3>{k.replace('_', ' ')}</h3>
              {locks.data[k].length === 0 ? (
                <p class="muted">none</p>
              ) : (
                <ul>
                  {locks.data[k].map((l) => (
                    <li>
                      <code>{l.resource}</code> {l.exclusive ? 'exclusive' : 'shared'} · {l.holder || l.task_id || ''}{' '}
                      {l.execution_id && <a href={`#/executions/${enc(l.execution_id)}`}>{l.execution_id.slice(0, 8)}</a>}
                    </li>
                  ))}
                </ul>
              )}
            </section>
          ))}
        </div>
      )}
    </>
  );
}
