// One execution: its step graph and timeline, live through the event
// stream; for each step its parameters, prompt template, output, tokens,
// cost, latency and why its agent was chosen; and the actions the caller's
// role allows (cancel, retry, approve a budget, rate a result).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, enc, get, streamEvents } from '../api.js';
import { ErrorBox, Loading, Markdown, StateBadge, terminal, time, usd, millis, useApi, useCan, Head } from '../ui.jsx';
import { StepGraph, Timeline } from './graph.jsx';

// ": 1 takeover, 1 retry" from the changes of owner; "" with none.
function ownerSummary(owners) {
  const counts = {};
  for (const o of owners) counts[o.reason] = (counts[o.reason] || 0) + 1;
  const parts = Object.entries(counts).map(([reason, n]) => `${n} ${reason}${n > 1 ? 's' : ''}`);
  return parts.length ? `: ${parts.join(', ')}` : '';
}

// The execution, read again whenever its event stream says something
// happened (at most every 150 ms), until it ends. Moving to another
// execution drops what was read of the previous one: an answer or a
// stream event about it that arrives late is never shown as this one.
function useLiveExecution(id) {
  const [x, setX] = useState(null);
  const [error, setError] = useState(null);
  const [tick, setTick] = useState(0);
  const asked = useRef(0);
  const shown = useRef(id);
  shown.current = id;
  // Reads may overlap: only the newest one's answer, for the execution
  // on the page now, is shown.
  async function load(of) {
    const mine = ++asked.current;
    try {
      const got = await get(`/api/v1/executions/${enc(of)}`);
      if (mine === asked.current && of === shown.current) setX(got), setError(null);
    } catch (e) {
      if (mine === asked.current && of === shown.current) setError(e);
    }
  }
  useEffect(() => {
    load(id);
  }, [id, tick]);
  const current = x && x.id === id ? x : null;
  const state = current && current.state;
  useEffect(() => {
    if (!state || terminal(state)) return undefined;
    const stop = new AbortController();
    let reread = null;
    const soon = () => {
      if (!reread && !stop.signal.aborted) reread = setTimeout(() => ((reread = null), load(id)), 150);
    };
    streamEvents(`/api/v1/executions/${enc(id)}/events`, stop.signal, soon)
      .then(soon)
      .catch(() => !stop.signal.aborted && setTimeout(soon, 1000));
    return () => {
      stop.abort();
      clearTimeout(reread);
    };
  }, [id, state]);
  return { x: current, error, reload: () => setTick((t) => t + 1) };
}

function Actions({ x, reload }) {
  const can = useCan();
  const [error, setError] = useState(null);
  const [extra, setExtra] = useState('1');
  async function act(path, body) {
    setError(null);
    try {
      await api('POST', `/api/v1/executions/${enc(x.id)}/${path}`, body);
      reload();
    } catch (e) {
      setError(e);
    }
  }
  const running = ['pending', 'running', 'paused'].includes(x.state);
  return (
    <div class="actions">
      {can('run_execution') && running && (
        <button class="danger" onClick={() => confirm(`Cancel execution ${x.id}?`) && act('cancel')}>
          Cancel
        </button>
      )}
      {can('run_execution') && ['failed', 'cancelled'].includes(x.state) && <button onClick={() => act('retry')}>Retry</button>}
      {can('approve_budget') && x.state === 'paused' && (
        <form
          class="inline"
          onSubmit={(e) => (e.preventDefault(), act('approve', { extra_usd: Number(extra) }))}
          aria-label="approve more spending"
        >
          <label>
            Extra USD <input type="number" min="0.000001" step="any" value={extra} onInput={(e) => setExtra(e.target.value)} required />
          </label>
          <button type="submit" class="primary">
            Approve budget
          </button>
        </form>
      )}
      <ErrorBox error={error} />
    </div>
  );
}

function Rating({ result }) {
  const can = useCan();
  const [score, setScore] = useState(result.quality_score ?? 0.5);
  const [said, setSaid] = useState(null);
  if (!can('rate_result')) return null;
  async function rate(e) {
    e.preventDefault();
    try {
      await api('POST', `/api/v1/results/${enc(result.result_id)}/rating`, { score: Number(score) });
      setSaid({ ok: true });
    } catch (err) {
      setSaid({ error: err });
    }
  }
  return (
    <form class="inline" onSubmit={rate} aria-label="rate this result">
      <label>
        Rate {Number(score).toFixed(2)} <input type="range" min="0" max="1" step="0.05" value={score} onInput={(e) => setScore(e.target.value)} />
      </label>
      <button type="submit">Rate</button>
      {said && said.ok && <span role="status">rated</span>}
      {said && <ErrorBox error={said.error} />}
    </form>
  );
}

// The candidates of a consensus step, the one chosen and the judge.
function Consensus({ c }) {
  return (
    <>
      <h3>
        Consensus ({c.strategy}){c.judge ? `, judged by ${c.judge}` : ''}
      </h3>
      <table>
        <Head cols={['candidate', 'agent', 'answered', 'quality', 'output']} />
        <tbody>
          {(c.candidates || []).map((k, i) => (
            <tr class={i === c.chosen_index ? 'chosen' : ''}>
              <td>
                {i + 1}
                {i === c.chosen_index ? ' (chosen)' : ''}
              </td>
              <td>{k.agent}</td>
              <td>{k.ok ? 'yes' : 'no'}</td>
              <td>{k.quality == null ? '–' : Number(k.quality).toFixed(2)}</td>
              <td>{String(k.output || '').slice(0, 300)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function StepDetail({ executionId, step, def, result }) {
  // Asked again when the step's state changes: it waits for its inputs.
  const prompt = useApi(
    def && def.command_template_id ? `/api/v1/executions/${enc(executionId)}/steps/${enc(step.id)}/prompt?s=${step.state}` : null,
  );
  const d = step.decision;
  return (
    <section class="step-detail" aria-label={`step ${step.id}`}>
      <h2>
        Step {step.id} {step.name && <span class="muted">({step.name})</span>} <StateBadge state={step.state} />
      </h2>
      <dl class="facts">
        <dt>agent</dt>
        <dd>{step.agent_id || '–'}</dd>
        <dt>attempt</dt>
        <dd>{step.attempt}</dd>
        <dt>started</dt>
        <dd>{time(step.started_at_ms)}</dd>
        <dt>finished</dt>
        <dd>{time(step.finished_at_ms)}</dd>
        {result && (
          <>
            <dt>tokens</dt>
            <dd>
              {result.tokens_in} in, {result.tokens_out} out, {result.tokens_cached} cached
            </dd>
            <dt>cost</dt>
            <dd>{usd(result.cost_usd)}</dd>
            <dt>latency</dt>
            <dd>{millis(result.latency_ms)}</dd>
            <dt>model</dt>
            <dd>
              {result.provider} / {result.model}
            </dd>
            <dt>evaluation</dt>
            <dd>{result.quality_score == null ? 'not scored' : Number(result.quality_score).toFixed(2)}</dd>
          </>
        )}
      </dl>
      {step.error && <div class="error">{step.error}</div>}
      {def && (
        <>
          <h3>Parameters</h3>
          <pre tabIndex={0}>{JSON.stringify((prompt.data && prompt.data.params) || def.params || {}, null, 2)}</pre>
        </>
      )}
      {prompt.data && (
        <>
          <h3>
            Prompt (template {prompt.data.template_id}, version {prompt.data.template_version})
          </h3>
          <pre tabIndex={0} class="prompt">
            {prompt.data.prompt}
          </pre>
        </>
      )}
      {prompt.error && prompt.error.code === 'prompt_not_ready' && <p class="muted">The prompt is made once the steps it depends on are done.</p>}
      {prompt.error && prompt.error.code !== 'prompt_not_ready' && <ErrorBox error={prompt.error} />}
      {d && d.consensus && <Consensus c={d.consensus} />}
      {d && d.evaluation && (
        <>
          <h3>Evaluation by {d.evaluation.judge}</h3>
          <p>score {Number(d.evaluation.score).toFixed(2)}</p>
          <Markdown text={d.evaluation.answer} />
        </>
      )}
      <h3>Output</h3>
      {step.output ? <Markdown text={step.output} /> : <p class="muted">No output yet.</p>}
      {result && <Rating result={result} />}
      {d && d.candidates && (
        <>
          <h3>Why {d.chosen}</h3>
          <p class="muted">
            category {d.category}, {d.candidate_count} candidates{d.explored ? ', an exploring choice' : ''}, waited {d.waited_ms} ms
          </p>
          <table>
            <Head cols={['agent', 'score', 'quality', 'capability', 'free', 'price', 'latency']} />
            <tbody>
              {d.candidates.map((c) => (
                <tr class={c.agent === d.chosen ? 'chosen' : ''}>
                  <td>
                    {c.agent} {c.node && <span class="muted">on {c.node}</span>}
                  </td>
                  <td>{c.score.toFixed(3)}</td>
                  <td>
                    {c.quality_mean.toFixed(2)} (drawn {c.quality_sample.toFixed(2)})
                  </td>
                  <td>{c.capability_match.toFixed(2)}</td>
                  <td>{c.free_share.toFixed(2)}</td>
                  <td>{usd(c.price)}</td>
                  <td>{millis(c.latency_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

export function ExecutionPage({ param: id }) {
  const { x, error, reload } = useLiveExecution(id);
  const [selected, setSelected] = useState(null);
  const done = x && terminal(x.state);
  const results = useApi(x ? `/api/v1/executions/${enc(id)}/results?limit=100&v=${x.updated_at_ms}` : null);
  const agents = useApi('/api/v1/agents');
  if (!x) return error ? <ErrorBox error={error} /> : <Loading />;
  const def = x.definition || { steps: x.steps.map((s) => ({ id: s.id })) };
  const byId = Object.fromEntries((def.steps || []).map((s) => [s.id, s]));
  const resultOf = Object.fromEntries(((results.data && results.data.results) || []).map((r) => [r.step_id, r]));
  const agentsById = Object.fromEntries(((agents.data && agents.data.agents) || []).map((a) => [a.id, a]));
  const step = x.steps.find((s) => s.id === selected) || x.steps[0];
  return (
    <>
      <h1>
        Execution <code>{x.id}</code> <StateBadge state={x.state} />
      </h1>
      <dl class="facts">
        <dt>workflow</dt>
        <dd>
          <a href={`#/workflows/${enc(x.workflow)}`}>{x.workflow}</a> {def.version && `version ${def.version}`}
        </dd>
        <dt>node</dt>
        <dd>
          {x.owner_node || '–'} (epoch {x.epoch}
          {ownerSummary(x.owners || [])})
        </dd>
        <dt>created</dt>
        <dd>{time(x.created_at_ms)}</dd>
        <dt>updated</dt>
        <dd>{time(x.updated_at_ms)}</dd>
        <dt>cost</dt>
        <dd>
          {usd(x.cost && x.cost.cost_usd)} ({x.cost ? x.cost.tokens_in + x.cost.tokens_out : 0} tokens)
        </dd>
        {x.trace_id && (
          <>
            <dt>trace</dt>
            <dd>
              <code>{x.trace_id}</code>
            </dd>
          </>
        )}
      </dl>
      {x.error && <div class="error">{x.error}</div>}
      <Actions x={x} reload={reload} />
      <p class="muted" aria-live="polite">
        {done ? 'Finished.' : 'Live: the graph follows the execution.'}
      </p>
      <div class="graph-box" tabIndex={-1}>
        <StepGraph definition={def} steps={x.steps} selected={step && step.id} onSelect={setSelected} />
      </div>
      <h2>Timeline</h2>
      <Timeline attempts={x.attempts} owners={x.owners} steps={x.steps} agents={agentsById} />
      <details>
        <summary>Input</summary>
        <pre tabIndex={0}>{JSON.stringify(x.input, null, 2)}</pre>
      </details>
      {step && <StepDetail key={step.id} executionId={x.id} step={step} def={byId[step.id]} result={resultOf[step.id]} />}
    </>
  );
}
