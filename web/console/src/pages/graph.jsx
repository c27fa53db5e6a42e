// An execution's step graph: dagre lays the DAG out (left to right by
// depends_on), the page draws it as SVG, each step coloured by its state.
import dagre from '@dagrejs/dagre';

const width = 170;
const height = 46;

export function layout(definition) {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 56, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const steps = (definition && definition.steps) || [];
  for (const s of steps) g.setNode(s.id, { width, height });
  for (const s of steps) for (const d of s.depends_on || []) if (g.hasNode(d)) g.setEdge(d, s.id);
  dagre.layout(g);
  return g;
}

export function StepGraph({ definition, steps, selected, onSelect }) {
  const g = layout(definition);
  const state = Object.fromEntries(steps.map((s) => [s.id, s]));
  const { width: w, height: h } = g.graph();
  return (
    <svg class="dag" viewBox={`0 0 ${w || 10} ${h || 10}`} width={w} height={h} role="group" aria-label="step graph">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
          <path d="M0,0 L10,5 L0,10 z" class="arrowhead" />
        </marker>
      </defs>
      {g.edges().map((e) => {
        const pts = g.edge(e).points;
        return <path class="edge" marker-end="url(#arrow)" d={`M${pts.map((p) => `${p.x},${p.y}`).join(' L')}`} />;
      })}
      {g.nodes().map((id) => {
        const n = g.node(id);
        const s = state[id] || { state: 'pending' };
        return (
          <g
            class={`step state-${s.state} ${selected === id ? 'selected' : ''}`}
            transform={`translate(${n.x - width / 2},${n.y - height / 2})`}
            tabIndex={0}
            role="button"
            aria-label={`step ${id}: ${s.state}`}
            data-step={id}
            data-state={s.state}
            onClick={() => onSelect(id)}
            onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && onSelect(id)}
          >
            <rect width={width} height={height} rx="6" />
            <text x="10" y="19">
              {id.length > 20 ? `${id.slice(0, 19)}…` : id}
            </text>
            <text x="10" y="36" class="sub">
              {s.state}
              {s.attempt > 1 ? ` · attempt ${s.attempt}` : ''}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

const ownerReasons = {
  restart: 'resumed after a restart of',
  takeover: 'taken over from',
  queued: 'started from the queue, released by',
  retry: 'retried by request, before on',
};

/// Every attempt as a bar on one time axis: retries are several bars of
/// one step, a takeover shows as a later epoch on another node (and in
/// the list of owner changes above the bars). The stored attempts come
/// from the API's `attempts`; a step running now is drawn from `steps`.
export function Timeline({ attempts, owners, steps, agents }) {
  const rows = (attempts || []).map((a) => ({ ...a, key: `${a.step_id}/${a.epoch}/${a.attempt}` }));
  for (const s of steps)
    if ((s.state === 'running' || s.state === 'checkpointing') && s.started_at_ms)
      rows.push({
        key: `${s.id}/live`,
        step_id: s.id,
        attempt: s.attempt,
        epoch: null,
        agent_id: s.agent_id,
        node: (agents[s.agent_id] && agents[s.agent_id].node) || '',
        started_at_ms: s.started_at_ms,
        finished_at_ms: 0,
        outcome: 'running',
        error: '',
      });
  if (!rows.length) return <p class="muted">No step has started yet.</p>;
  const now = Date.now();
  const start = Math.min(...rows.map((a) => a.started_at_ms));
  const end = Math.max(...rows.map((a) => a.finished_at_ms || now));
  const span = Math.max(1, end - start);
  return (
    <>
      {owners && owners.length > 0 && (
        <ul class="owners" aria-label="changes of owner">
          {owners.map((o) => (
            <li key={o.epoch}>
              epoch {o.epoch}: <strong>{o.node}</strong> {ownerReasons[o.reason] || o.reason}{' '}
              {o.previous_node || 'no node'} at {new Date(o.at_ms).toLocaleTimeString()}
            </li>
          ))}
        </ul>
      )}
      <ol class="timeline" aria-label="timeline of attempts">
        {rows.map((a) => {
          const left = ((a.started_at_ms - start) / span) * 100;
          const w = Math.max(0.5, (((a.finished_at_ms || now) - a.started_at_ms) / span) * 100);
          return (
            <li key={a.key} data-outcome={a.outcome}>
              <span class="who">
                {a.step_id} · attempt {a.attempt}
                {a.epoch ? ` · epoch ${a.epoch}` : ''} · {a.agent_id || '–'} on {a.node || 'this node'}
              </span>
              <span class="track">
                <span class={`bar state-${a.outcome}`} style={{ left: `${left}%`, width: `${w}%` }} />
              </span>
              <span class="muted">
                {a.finished_at_ms ? `${a.outcome} · ${a.finished_at_ms - a.started_at_ms} ms` : 'running'}
              </span>
              {a.error && <span class="attempt-error">{a.error}</span>}
            </li>
          );
        })}
      </ol>
    </>
  );
}
