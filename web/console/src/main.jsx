// The console's shell: sign-in gate, navigation by role, and the pages by
// the URL's hash (#/executions/ID), so the node serves one page for all.
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { get, onSessionChange, signedIn, signOut } from './api.js';
import { ErrorBox, Loading, Me } from './ui.jsx';
import { SignIn, Account } from './pages/signin.jsx';
import { Overview } from './pages/overview.jsx';
import { Executions } from './pages/executions.jsx';
import { ExecutionPage } from './pages/execution.jsx';
import { Workflows, WorkflowPage, WorkflowEditor, RunForm } from './pages/workflows.jsx';
import { Agents, Cluster } from './pages/agents.jsx';
import { Costs } from './pages/costs.jsx';
import { Audit, Users } from './pages/admin.jsx';

// [pattern, page, title, permission needed to see it in the menu]
const routes = [
  [/^\/$/, Overview, 'Overview', 'read'],
  [/^\/executions$/, Executions, 'Executions', 'read'],
  [/^\/executions\/([^/]+)$/, ExecutionPage, 'Execution'],
  [/^\/workflows$/, Workflows, 'Workflows', 'read'],
  [/^\/workflows\/new$/, WorkflowEditor, 'New workflow'],
  [/^\/workflows\/([^/]+)\/edit$/, WorkflowEditor, 'Edit workflow'],
  [/^\/workflows\/([^/]+)\/run$/, RunForm, 'Run workflow'],
  [/^\/workflows\/([^/]+)$/, WorkflowPage, 'Workflow'],
  [/^\/agents$/, Agents, 'Agents', 'read'],
  [/^\/cluster$/, Cluster, 'Cluster', 'read'],
  [/^\/costs$/, Costs, 'Costs and budgets', 'read'],
  [/^\/audit$/, Audit, 'Audit log', 'read_audit'],
  [/^\/users$/, Users, 'Users and API keys', 'authenticated'],
  [/^\/account$/, Account, 'Account', 'authenticated'],
];

const menu = ['/', '/executions', '/workflows', '/agents', '/cluster', '/costs', '/audit', '/users', '/account'];

function usePath() {
  const read = () => (location.hash || '#/').slice(1).split('?')[0] || '/';
  const [path, setPath] = useState(read());
  useEffect(() => {
    const f = () => setPath(read());
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  return path;
}

function App() {
  const [authed, setAuthed] = useState(signedIn());
  const [me, setMe] = useState(null);
  const [error, setError] = useState(null);
  const path = usePath();
  useEffect(() => onSessionChange((s) => setAuthed(!!s)), []);
  useEffect(() => {
    setMe(null);
    if (!authed) return;
    get('/api/v1/auth/me').then(setMe, setError);
  }, [authed]);

  if (!authed) return <SignIn />;
  if (!me) return error ? <ErrorBox error={error} /> : <Loading />;
  if (me.must_enrol_totp)
    return (
      <Me.Provider value={me}>
        <main class="narrow">
          <h1>Turn on two-factor sign-in</h1>
          <p>An admin needs a second factor before anything else.</p>
          <Account />
        </main>
      </Me.Provider>
    );

  let page = null;
  let title = 'Not found';
  for (const [pattern, Page, name] of routes) {
    const m = path.match(pattern);
    if (m) {
      page = <Page param={m[1] && decodeURIComponent(m[1])} />;
      title = name;
      break;
    }
  }
  document.title = `${title} · HishamOS`;
  const may = (p) => me.permissions.includes(p);
  return (
    <Me.Provider value={me}>
      <header class="top">
        <a class="brand" href="#/">
          HishamOS
        </a>
        <nav aria-label="main">
          {menu.map((href) => {
            const [, , name, needs] = routes.find(([p]) => p.test(href));
            if (!may(needs)) return null;
            const active = href === '/' ? path === '/' : path.startsWith(href);
            return (
              <a href={`#${href}`} aria-current={active ? 'page' : undefined}>
                {name}
              </a>
            );
          })}
        </nav>
        <span class="who">
          {me.username} ({me.role})
          <button class="link" onClick={() => signOut()}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main">{page || <p>No page at {path}.</p>}</main>
    </Me.Provider>
  );
}

render(<App />, document.getElementById('app'));
