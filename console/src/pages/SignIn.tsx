import { useState, type FormEvent } from 'react';
import { ApiProblem } from '../api';
import { useSession } from '../session';

export function SignIn() {
  const { signIn } = useSession();
  const [adminKey, setAdminKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(adminKey.trim());
    } catch (err) {
      setError(err instanceof ApiProblem && err.status === 401 ? 'That admin key is not valid.' : (err as Error).message);
      setBusy(false);
    }
  }

  return (
    <main className="signin">
      <h1>Sign in to scim-sync</h1>
      <form onSubmit={submit}>
        <label htmlFor="admin-key">Admin key</label>
        <input
          id="admin-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={adminKey}
          onChange={(e) => setAdminKey(e.target.value)}
          required
        />
        <p className="hint">
          Create one with <code>scim-sync admin-key create --org &lt;org&gt;</code>; <code>npm start</code> prints one. The key is
          exchanged for a session that ends after 8 hours and is never kept in this browser.
        </p>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || !adminKey.trim()}>
          Sign in
        </button>
      </form>
    </main>
  );
}
