// Sign-in (password and a TOTP code, or an API key), and the account page:
// 2FA enrolment with a QR code of the otpauth:// URI.
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import QRCode from 'qrcode';
import { api, signIn, signInWithKey, signOut } from '../api.js';
import { ErrorBox, Field, Me } from '../ui.jsx';

export function SignIn() {
  const [withKey, setWithKey] = useState(false);
  const [error, setError] = useState(null);
  const [needsCode, setNeedsCode] = useState(false);
  const [busy, setBusy] = useState(false);
  const code = useRef(null);
  async function submit(e) {
    e.preventDefault();
    const f = new FormData(e.target);
    setBusy(true);
    setError(null);
    try {
      if (withKey) await signInWithKey(f.get('api_key'));
      else await signIn(f.get('username'), f.get('password'), f.get('totp'));
    } catch (err) {
      setError(err);
      if (err.code === 'totp_required') {
        setNeedsCode(true);
        setTimeout(() => code.current && code.current.focus());
      }
    } finally {
      setBusy(false);
    }
  }
  return (
    <main class="signin">
      <h1>HishamOS</h1>
      <form onSubmit={submit} aria-label="sign in">
        {withKey ? (
          <Field label="API key">
            <input name="api_key" type="password" autocomplete="off" required />
          </Field>
        ) : (
          <>
            <Field label="Username">
              <input name="username" autocomplete="username" required maxLength={64} />
            </Field>
            <Field label="Password">
              <input name="password" type="password" autocomplete="current-password" required maxLength={256} />
            </Field>
            <Field label={needsCode ? 'Code from your authenticator' : 'Code from your authenticator (if 2FA is on)'}>
              <input
                ref={code}
                name="totp"
                inputMode="numeric"
                autocomplete="one-time-code"
                pattern="[0-9]{6}"
                maxLength={6}
                required={needsCode}
              />
            </Field>
          </>
        )}
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
        <button type="button" class="link" onClick={() => setWithKey(!withKey)}>
          {withKey ? 'Sign in with a password' : 'Sign in with an API key'}
        </button>
      </form>
    </main>
  );
}

export function Account() {
  const me = useContext(Me);
  const [enrolment, setEnrolment] = useState(null);
  const [qr, setQr] = useState('');
  const [error, setError] = useState(null);
  const [done, setDone] = useState('');
  useEffect(() => {
    if (!enrolment) return;
    QRCode.toString(enrolment.otpauth_uri, { type: 'svg', margin: 1 }).then((svg) =>
      setQr(`data:image/svg+xml;base64,${btoa(svg)}`),
    );
  }, [enrolment]);
  async function start() {
    setError(null);
    try {
      setEnrolment(await api('POST', '/api/v1/auth/totp/enrol'));
    } catch (e) {
      setError(e);
    }
  }
  async function confirm(e) {
    e.preventDefault();
    setError(null);
    try {
      const got = await api('POST', '/api/v1/auth/totp/confirm', { code: new FormData(e.target).get('code') });
      setDone(got.fix || 'Two-factor sign-in is on.');
    } catch (err) {
      setError(err);
    }
  }
  if (done)
    return (
      <section>
        <p role="status">Two-factor sign-in is on: {done}.</p>
        <button class="primary" onClick={() => signOut()}>
          Sign in again
        </button>
      </section>
    );
  return (
    <section>
      {!me.must_enrol_totp && <h1>Account</h1>}
      <p>
        Signed in as <strong>{me.username}</strong>, role {me.role}, with {me.via === 'api_key' ? 'an API key' : 'a password'}.
      </p>
      <h2>Two-factor sign-in</h2>
      {!enrolment ? (
        <button onClick={start}>Set up an authenticator</button>
      ) : (
        <form onSubmit={confirm} aria-label="confirm two-factor sign-in">
          <p>Scan this code with an authenticator app, or type the secret into it, then give its first code.</p>
          {qr && <img class="qr" src={qr} alt="QR code of the authenticator secret" width="200" height="200" />}
          <p>
            Secret: <code class="secret">{enrolment.secret}</code>
          </p>
          <Field label="First code">
            <input name="code" inputMode="numeric" pattern="[0-9]{6}" maxLength={6} required autocomplete="one-time-code" />
          </Field>
          <button type="submit" class="primary">
            Turn on
          </button>
        </form>
      )}
      <ErrorBox error={error} />
    </section>
  );
}
