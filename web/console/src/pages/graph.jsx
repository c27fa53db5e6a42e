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

/// Each step's run as a bar on one time axis: retries show as attempt
/// counts, takeovers in the execution's epoch.
export function Timeline({ steps, agents }) {
  const ran = steps.filter((s) => s.started_at_ms);
  if (!ran.length) return <p class="muted">No step has started yet.</p>;
  const start = Math.min(...ran.map((s) => s.started_at_ms));
  const end = Math.max(...ran.map((s) => s.finished_at_ms || Date.now()));
  const span = Math.max(1, end - start);
  return (
    <ol class="timeline" aria-label="timeline of attempts">
      {ran.map((s) => {
        const left = ((s.started_at_ms - start) / span) * 100;
        const w = Math.max(0.5, (((s.finished_at_ms || Date.now()) - s.started_at_ms) / span) * 100);
        const node = (agents[s.agent_id] && agents[s.agent_id].node) || 'this node';
        return (
          <li>
            <span class="who">
              {s.id} · attempt {s.attempt} · {s.agent_id || '–'} on {node}
            </span>
            <span class="track">
              <span class={`bar state-${s.state}`} style={{ left: `${left}%`, width: `${w}%` }} />
            </span>
            <span class="muted">{s.finished_at_ms ? `${s.finished_at_ms - s.started_at_ms} ms` : 'running'}</span>
          </li>
        );
      })}
    </ol>
  );
}
