// Costs by day (a chart), by agent, workflow and department, and the
// budgets with what counts against them.
import { Chart, ErrorBox, Loading, millis, usd, useApi } from '../ui.jsx';

function CostTable({ by, title }) {
  const got = useApi(`/api/v1/costs?by=${by}&limit=100`, 10000);
  if (!got.data) return got.error ? <ErrorBox error={got.error} /> : <Loading />;
  return (
    <section>
      <h2>{title}</h2>
      {got.data.rows.length === 0 ? (
        <p class="muted">Nothing spent yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{by}</th>
              <th scope="col">calls</th>
              <th scope="col">tokens in / out / cached</th>
              <th scope="col">cost</th>
              <th scope="col">saved by caches</th>
              <th scope="col">latency</th>
            </tr>
          </thead>
          <tbody>
            {got.data.rows.map((r) => (
              <tr>
                <td>{r.key || '–'}</td>
                <td>{r.calls}</td>
                <td>
                  {r.tokens_in} / {r.tokens_out} / {r.tokens_cached}
                </td>
                <td>{usd(r.cost_usd)}</td>
                <td>{usd(r.cost_avoided_usd)}</td>
                <td>{millis(r.avg_latency_ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function Costs() {
  const days = useApi('/api/v1/costs?by=day&limit=60', 10000);
  const budgets = useApi('/api/v1/budgets', 10000);
  const rows = days.data ? [...days.data.rows].sort((a, b) => a.key.localeCompare(b.key)) : [];
  const xs = rows.map((r) => Date.parse(r.key) / 1000);
  return (
    <>
      <h1>Costs and budgets</h1>
      <ErrorBox error={days.error} />
      {rows.length > 0 && (
        <Chart title="cost per day (USD)" data={[xs, rows.map((r) => r.cost_usd), rows.map((r) => r.cost_avoided_usd)]} series={['spent', 'saved by caches']} bars />
      )}
      <section>
        <h2>Budgets</h2>
        <ErrorBox error={budgets.error} />
        {budgets.data && budgets.data.ledger_error && <div class="error">The cost ledger could not be read: {budgets.data.ledger_error}</div>}
        {budgets.data && budgets.data.budgets.length === 0 && <p class="muted">No budgets are set (node config, budgets:).</p>}
        {budgets.data && budgets.data.budgets.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">scope</th>
                <th scope="col">name</th>
                <th scope="col">period</th>
                <th scope="col">spent / limit</th>
                <th scope="col">when over</th>
              </tr>
            </thead>
            <tbody>
              {budgets.data.budgets.map((b) => (
                <tr>
                  <td>{b.scope}</td>
                  <td>{b.name || (b.scope === 'execution' ? 'each execution' : '–')}</td>
                  <td>{b.period || '–'}</td>
                  <td>
                    <meter min="0" max={b.limit_usd} value={b.spent_usd || 0} aria-label={`spent of ${b.scope} budget`} /> {usd(b.spent_usd)} / {usd(b.limit_usd)}
                  </td>
                  <td>
                    {b.action}
                    {b.downgrade_model ? ` to ${b.downgrade_model}` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p class="muted">Every provider call's cost counts, as committed with its step's checkpoint.</p>
      </section>
      <div class="columns">
        <CostTable by="agent" title="By agent" />
        <CostTable by="workflow" title="By workflow" />
      </div>
      <CostTable by="department" title="By department" />
    </>
  );
}
