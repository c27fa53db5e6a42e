// The audit log with its hash chain's verification, and users and API
// keys (everyone's for admins, one's own otherwise).
import { useState } from 'preact/hooks';
import { api, enc, query } from '../api.js';
import { ErrorBox, Field, Pager, time, useApi, useCan, Head } from '../ui.jsx';

export function Audit() {
  const [page, setPage] = useState(1);
  const [action, setAction] = useState('');
  const list = useApi(`/api/v1/audit${query({ page, limit: 50, action })}`);
  const verify = useApi('/api/v1/audit/verify');
  return (
    <>
      <h1>Audit log</h1>
      {verify.data && (
        <p class={verify.data.ok ? 'good banner' : 'bad banner'} role="status">
          {verify.data.ok
            ? `The chain of ${verify.data.rows} entries verifies.`
            : `The chain is broken at entry ${verify.data.first_bad_id}: ${verify.data.problem}`}
        </p>
      )}
      <ErrorBox error={verify.error} />
      <div class="filters">
        <Field label="Action">
          <input value={action} maxLength={64} placeholder="e.g. auth.login_failed" onChange={(e) => (setAction(e.target.value), setPage(1))} />
        </Field>
      </div>
      <ErrorBox error={list.error} />
      {list.data && (
        <>
          <table>
            <Head cols={['#', 'when', 'who', 'action', 'details']} />
            <tbody>
              {list.data.events.map((e) => (
                <tr>
                  <td>{e.id}</td>
                  <td>{time(e.created_at_ms)}</td>
                  <td>{e.user_id || '–'}</td>
                  <td>{e.action}</td>
                  <td>
                    <code>{JSON.stringify(e.details).slice(0, 300)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager page={list.data.page} limit={list.data.limit} total={list.data.total} onPage={setPage} />
        </>
      )}
    </>
  );
}

const roles = ['viewer', 'author', 'operator', 'admin'];

function UserAdmin() {
  const users = useApi('/api/v1/users');
  const [error, setError] = useState(null);
  async function run(f) {
    setError(null);
    try {
      await f();
      users.reload();
    } catch (e) {
      setError(e);
    }
  }
  function create(e) {
    e.preventDefault();
    const f = new FormData(e.target);
    run(() => api('POST', '/api/v1/users', { username: f.get('username'), password: f.get('password'), role: f.get('role') }));
  }
  const change = (u, body) => run(() => api('PUT', `/api/v1/users/${enc(u.username)}`, body));
  return (
    <section>
      <h2>Users</h2>
      <ErrorBox error={error || users.error} />
      {users.data && (
        <table>
          <Head cols={['user', 'role', '2FA', 'state', 'created']} />
          <tbody>
            {users.data.users.map((u) => (
              <tr>
                <td>{u.username}</td>
                <td>
                  <select aria-label={`role of ${u.username}`} value={u.role} onChange={(e) => change(u, { role: e.target.value })}>
                    {roles.map((r) => (
                      <option>{r}</option>
                    ))}
                  </select>
                </td>
                <td>{u.totp_enabled ? 'on' : 'off'}</td>
                <td>
                  {u.locked ? 'locked ' : ''}
                  <button onClick={() => change(u, { disabled: !u.disabled })}>{u.disabled ? 'Enable' : 'Disable'}</button>
                </td>
                <td>{time(u.created_at_ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="filters" onSubmit={create} aria-label="add a user">
        <Field label="Username">
          <input name="username" required maxLength={64} autocomplete="off" />
        </Field>
        <Field label="Password (12 or more characters)">
          <input name="password" type="password" required minLength={12} maxLength={256} autocomplete="new-password" />
        </Field>
        <Field label="Role">
          <select name="role">
            {roles.map((r) => (
              <option>{r}</option>
            ))}
          </select>
        </Field>
        <button type="submit">Add user</button>
      </form>
    </section>
  );
}

function ApiKeys() {
  const keys = useApi('/api/v1/api-keys');
  const [made, setMade] = useState(null);
  const [error, setError] = useState(null);
  async function create(e) {
    e.preventDefault();
    const f = new FormData(e.target);
    setError(null);
    try {
      setMade(await api('POST', '/api/v1/api-keys', { name: f.get('name'), role: f.get('role') }));
      keys.reload();
    } catch (err) {
      setError(err);
    }
  }
  async function revoke(id) {
    setError(null);
    try {
      await api('DELETE', `/api/v1/api-keys/${enc(id)}`);
      keys.reload();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <section>
      <h2>API keys</h2>
      <ErrorBox error={error || keys.error} />
      {made && (
        <p class="banner good" role="status">
          New key, shown once: <code class="secret">{made.key}</code>
        </p>
      )}
      {keys.data && (
        <table>
          <Head cols={['name', 'prefix', 'role', 'last used', 'state']} />
          <tbody>
            {keys.data.api_keys.map((k) => (
              <tr>
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix}</code>
                </td>
                <td>{k.role}</td>
                <td>{time(k.last_used_ms)}</td>
                <td>{k.revoked ? 'revoked' : <button onClick={() => revoke(k.id)}>Revoke</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="filters" onSubmit={create} aria-label="create an API key">
        <Field label="Name">
          <input name="name" required maxLength={128} />
        </Field>
        <Field label="Role (at most yours)">
          <select name="role">
            {roles.map((r) => (
              <option>{r}</option>
            ))}
          </select>
        </Field>
        <button type="submit">Create key</button>
      </form>
    </section>
  );
}

export function Users() {
  const can = useCan();
  return (
    <>
      <h1>Users and API keys</h1>
      {can('manage_users') ? <UserAdmin /> : null}
      <ApiKeys />
      {!can('manage_users') && <p class="muted">Only admins see and change users.</p>}
    </>
  );
}

