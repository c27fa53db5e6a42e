// Costs by day (a chart), by agent, workflow and department, and the
// budgets with what counts against them.
import { Chart, ErrorBox, Loading, millis, usd, useApi, Head } from '../ui.jsx';

function CostTable({ by, title }) {
  const got = useApi(`/api/v1/costs?by=${by}&limit=100`, 10000);
  if (!got.data) return got.error ? <ErrorBox error={got.error} /> : <Loading />;
  const top = got.data.rows.slice(0, 20);
  return (
    <section>
      <h2>{title}</h2>
      {top.length > 0 && (
        <Chart
          title={`cost by ${by} (USD)`}
          labels={top.map((r) => r.key || '–')}
          data={[top.map((_, i) => i), top.map((r) => r.cost_usd)]}
          series={['cost']}
          bars
        />
      )}
      {got.data.rows.length === 0 ? (
        <p class="muted">Nothing spent yet.</p>
      ) : (
        <table>
          <Head cols={[by, 'calls', 'tokens in / out / cached', 'cost', 'saved by caches', 'latency']} />
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

// Each budget with what it has spent in its period: for a workflow or
// department budget, per workflow or department it covers (spent_usd maps
// them to USD); an execution budget is each execution's own.
export function BudgetTable({ budgets }) {
  return (
    <table>
      <Head cols={['scope', 'name', 'period', 'spent / limit', 'when over']} />
      <tbody>
        {budgets.map((b) => (
          <tr>
            <td>{b.scope}</td>
            <td>{b.name || (b.scope === 'execution' ? 'each execution' : 'each')}</td>
            <td>{b.period || '–'}</td>
            <td>
              {b.spent_usd === undefined && <span class="muted">counted per execution / {usd(b.limit_usd)}</span>}
              {b.spent_usd && Object.keys(b.spent_usd).length === 0 && <span>{usd(0)} / {usd(b.limit_usd)}</span>}
              {b.spent_usd &&
                Object.entries(b.spent_usd).map(([key, spent]) => (
                  <div>
                    <meter min="0" max={b.limit_usd} value={Math.min(spent, b.limit_usd)} aria-label={`spent by ${key}`} /> {key}: {usd(spent)} /{' '}
                    {usd(b.limit_usd)}
                  </div>
                ))}
            </td>
            <td>
              {b.action}
              {b.downgrade_model ? ` to ${b.downgrade_model}` : ''}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Costs() {
  const days = useApi('/api/v1/costs?by=day&limit=60', 10000);
  const budgets = useApi('/api/v1/budgets', 10000);
  const rows = days.data ? [...days.data.rows].sort((a, b) => a.key.localeCompare(b.key)) : [];

  return (
    <>
      <h1>Costs and budgets</h1>
      <ErrorBox error={days.error} />
      {rows.length > 0 && (
        <Chart
          title="cost per day (USD)"
          labels={rows.map((r) => r.key)}
          data={[rows.map((_, i) => i), rows.map((r) => r.cost_usd), rows.map((r) => r.cost_avoided_usd)]}
          series={['spent', 'saved by caches']}
          bars
        />
      )}
      <section>
        <h2>Budgets</h2>
        <ErrorBox error={budgets.error} />
        {budgets.data && budgets.data.ledger_error && <div class="error">The cost ledger could not be read: {budgets.data.ledger_error}</div>}
        {budgets.data && budgets.data.budgets.length === 0 && <p class="muted">No budgets are set (node config, budgets:).</p>}
        {budgets.data && budgets.data.budgets.length > 0 && (
          <BudgetTable budgets={budgets.data.budgets} />
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
