// What every page shares: loading data from the API, showing its errors,
// states, numbers and times, pages of a list, charts (uPlot) and agent
// output (markdown, sanitised).
import { createContext } from 'preact';
import { useContext, useEffect, useRef, useState, useCallback } from 'preact/hooks';
import uPlot from 'uplot';
import MarkdownIt from 'markdown-it';
import DOMPurify from 'dompurify';
import { get } from './api.js';

/// The signed-in caller (/api/v1/auth/me) and what they may do.
export const Me = createContext(null);
export const useCan = () => {
  const me = useContext(Me);
  return (permission) => !!me && (me.permissions || []).includes(permission);
};

/// GET `path` (again every `every` ms when given); null path = nothing.
export function useApi(path, every) {
  const [state, setState] = useState({ data: null, error: null, loading: !!path });
  const reload = useCallback(async () => {
    if (!path) return;
    try {
      const data = await get(path);
      setState({ data, error: null, loading: false });
    } catch (error) {
      setState((s) => ({ data: s.data, error, loading: false }));
    }
  }, [path]);
  useEffect(() => {
    setState((s) => ({ ...s, loading: !!path }));
    reload();
    if (!every) return undefined;
    const t = setInterval(reload, every);
    return () => clearInterval(t);
  }, [reload, every]);
  return { ...state, reload };
}

/// An API error as the API worded it: what, and how to fix it.
export function ErrorBox({ error }) {
  if (!error) return null;
  const problems = (error.details && error.details.problems) || [];
  return (
    <div class="error" role="alert">
      <strong>{error.message}</strong>
      {error.details && error.details.fix && <div class="fix">{error.details.fix}</div>}
      {problems.length > 0 && (
        <ul>
          {problems.slice(0, 50).map((p) => (
            <li>
              {p.line ? `line ${p.line}: ` : ''}
              {p.message}
              {p.fix && <span class="fix"> ({p.fix})</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export const Loading = () => <p class="muted" aria-live="polite">Loading…</p>;

export function StateBadge({ state }) {
  return <span class={`badge state-${state}`}>{state}</span>;
}

export const terminal = (state) => ['completed', 'failed', 'cancelled'].includes(state);

export function time(ms) {
  if (!ms) return '–';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}
export const usd = (v) => `$${Number(v || 0).toFixed(v && v < 0.01 ? 6 : 2)}`;
export const millis = (v) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v || 0)} ms`);
export const day = (offset = 0) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);

/// Previous / next over a server-side page (page, limit, total).
export function Pager({ page, limit, total, onPage }) {
  const pages = Math.max(1, Math.ceil(total / limit));
  return (
    <nav class="pager" aria-label="pages">
      <button disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span>
        page {page} of {pages} ({total.toLocaleString('en')} in all)
      </span>
      <button disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next
      </button>
    </nav>
  );
}

/// A uPlot chart: `data` is [xs, ...series], `series` their labels; with
/// `labels`, xs are 0..n-1 and the x axis names them (bars by category).
export function Chart({ title, data, series, bars, labels, height = 220 }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const width = Math.max(300, box.current.clientWidth || 600);
    const colours = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c'];
    const opts = {
      title,
      width,
      height,
      series: [
        {},
        ...series.map((label, i) => ({
          label,
          stroke: colours[i % colours.length],
          fill: bars ? `${colours[i % colours.length]}55` : undefined,
          paths: bars ? uPlot.paths.bars({ size: [0.6, 40] }) : undefined,
        })),
      ],
      axes: [
        labels
          ? { values: (u, ticks) => ticks.map((t) => (Number.isInteger(t) ? String(labels[t] || '').slice(0, 18) : '')) }
          : {},
        { size: 60 },
      ],
    };
    if (labels) opts.scales = { x: { time: false, range: [-0.5, Math.max(0.5, labels.length - 0.5)] } };
    plot.current = new uPlot(opts, data, box.current);
    return () => plot.current.destroy();
  }, [title, series.join(), bars, labels && labels.join()]);
  useEffect(() => {
    if (plot.current) plot.current.setData(data);
  }, [data]);
  return <div class="chart" ref={box} role="img" aria-label={title} />;
}

// Raw HTML in the markdown stays text (html: false); DOMPurify removes
// whatever else could run, and the page's policy allows no inline script.
const md = new MarkdownIt({ html: false, linkify: false });
export function Markdown({ text }) {
  const html = DOMPurify.sanitize(md.render(String(text || '').slice(0, 200000)));
  return <div class="markdown" tabIndex={0} dangerouslySetInnerHTML={{ __html: html }} />;
}

export function Field({ label, children }) {
  return (
    <label class="field">
      <span>{label}</span>
      {children}
    </label>
  );
}

/// A table's header row.
export function Head({ cols }) {
  return (
    <thead>
      <tr>
        {cols.map((c) => (
          <th scope="col">{c}</th>
        ))}
      </tr>
    </thead>
  );
}
