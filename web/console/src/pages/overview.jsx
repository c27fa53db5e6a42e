// The overview: executions by state in the last hour and day, steps per
// second (sampled from /metrics), today's cost against the budgets, node
// health and what needs a person (stuck, quarantined, paused by budget).
import { useEffect, useState } from 'preact/hooks';
import { get, metrics, query } from '../api.js';
import { Chart, ErrorBox, StateBadge, time, usd, useApi, Head } from '../ui.jsx';
import { BudgetTable } from './costs.jsx';

const stuckAfterMs = 10 * 60 * 1000;

async function count(params) {
  const page = await get(`/api/v1/executions${query({ ...params, limit: 1 })}`);
  return page.total;
}

function useCounts() {
  const [counts, setCounts] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let live = true;
    async function load() {
      try {
        const now = Date.now();
        const hour = now - 3600000;
        const dayAgo = now - 86400000;
        const [running, paused, quarantined, doneHour, failedHour, doneDay, failedDay, runningPage] = await Promise.all([
          count({ state: 'running' }),
          count({ state: 'paused' }),
          count({ state: 'quarantined' }),
          count({ state: 'completed', since_ms: hour }),
          count({ state: 'failed', since_ms: hour }),
          count({ state: 'completed', since_ms: dayAgo }),
          count({ state: 'failed', since_ms: dayAgo }),
          get('/api/v1/executions?state=running&limit=100'),
        ]);
        const stuck = runningPage.executions.filter((x) => now - x.updated_at_ms > stuckAfterMs);
        if (live) setCounts({ running, paused, quarantined, doneHour, failedHour, doneDay, failedDay, stuck });
      } catch (e) {
        if (live) setError(e);
      }
    }
    load();
    const t = setInterval(load, 5000);
    return () => ((live = false), clearInterval(t));
  }, []);
  return { counts, error };
}

// Steps per second from the counter's rise between two samples.
function sample(text, name) {
  const m = text.match(new RegExp(`^${name} ([0-9.e+]+)$`, 'm'));
  return m ? Number(m[1]) : 0;
}
function useStepRate() {
  const [points, setPoints] = useState([[], []]);
  useEffect(() => {
    let last = null;
    let live = true;
    async function tick() {
      try {
        const text = await metrics();
        const now = Date.now() / 1000;
        const steps = sample(text, 'hishamos_steps_completed_total');
        if (last && live)
          setPoints(([xs, ys]) => [
            [...xs, now].slice(-90),
            [...ys, Math.max(0, (steps - last.steps) / (now - last.at))].slice(-90),
          ]);
        last = { steps, at: now };
      } catch {
        /* the chart pauses; the counts above show the error */
      }
    }
    tick();
    const t = setInterval(tick, 2000);
    return () => ((live = false), clearInterval(t));
  }, []);
  return { points };
}

function Tile({ label, value, href, tone }) {
  return (
    <a class={`tile ${tone || ''}`} href={href}>
      <span class="value">{value === undefined ? '…' : value.toLocaleString('en')}</span>
      <span class="label">{label}</span>
    </a>
  );
}

export function Overview() {
  const { counts, error } = useCounts();
  const { points } = useStepRate();
  const nodes = useApi('/api/v1/nodes', 5000);
  const budgets = useApi('/api/v1/budgets', 10000);
  const today = useApi(`/api/v1/costs?by=day&limit=1`, 10000);
  const c = counts || {};
  const todayRow = (today.data && today.data.rows.find((r) => r.key === new Date().toISOString().slice(0, 10))) || null;
  return (
    <>
      <h1>Overview</h1>
      <ErrorBox error={error} />
      <section class="tiles" aria-label="executions">
        <Tile label="running now" value={c.running} href="#/executions?state=running" />
        <Tile label="completed, last hour" value={c.doneHour} href="#/executions?state=completed" tone="good" />
        <Tile label="failed, last hour" value={c.failedHour} href="#/executions?state=failed" tone={c.failedHour ? 'bad' : ''} />
        <Tile label="completed, last day" value={c.doneDay} href="#/executions?state=completed" tone="good" />
        <Tile label="failed, last day" value={c.failedDay} href="#/executions?state=failed" tone={c.failedDay ? 'bad' : ''} />
      </section>
      <section aria-label="alerts">
        <h2>Alerts</h2>
        <ul class="alerts">
          {c.paused > 0 && (
            <li class="warn">
              <a href="#/executions?state=paused">{c.paused} paused by a budget</a>: an operator may approve more spending.
            </li>
          )}
          {c.quarantined > 0 && (
            <li class="bad">
              <a href="#/executions?state=quarantined">{c.quarantined} quarantined</a>: their stored state is damaged; each one's
              error names what is wrong, and the audit log has when.
            </li>
          )}
          {c.stuck && c.stuck.length > 0 && (
            <li class="warn">
              {c.stuck.length} running with no progress for 10 minutes:{' '}
              {c.stuck.slice(0, 5).map((x) => (
                <a href={`#/executions/${x.id}`}>{x.id.slice(0, 8)} </a>
              ))}
            </li>
          )}
          {counts && !c.paused && !c.quarantined && !c.stuck.length && <li class="good">Nothing needs you.</li>}
        </ul>
      </section>
      <div class="columns">
        <section>
          <h2>Steps per second</h2>
          <Chart title="steps completed per second on this node" data={points} series={['steps/s']} />
        </section>
        <section>
          <h2>Cost today</h2>
          <p class="big">{usd(todayRow ? todayRow.cost_usd : 0)}</p>
          <ErrorBox error={budgets.error} />
          {budgets.data && budgets.data.budgets.length === 0 && <p class="muted">No budgets are set (node config, budgets:).</p>}
          {budgets.data && budgets.data.budgets.length > 0 && <BudgetTable budgets={budgets.data.budgets} />}
        </section>
      </div>
      <section>
        <h2>Nodes</h2>
        <ErrorBox error={nodes.error} />
        {nodes.data && (
          <table>
            <Head cols={['node', 'connected', 'lease', 'HTTP']} />
            <tbody>
              {nodes.data.nodes.map((n) => (
                <tr>
                  <td>
                    {n.id} {n.self && <span class="muted">(this node)</span>}
                  </td>
                  <td>{n.connected ? 'yes' : <StateBadge state="failed" />}</td>
                  <td>
                    {n.lease} {n.lease_expires_at_ms ? `until ${time(n.lease_expires_at_ms)}` : ''}
                  </td>
                  <td>{n.http_address}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
