import { type FormEvent, useState } from 'react';
import { api } from '../api.ts';
import { DataState, useLoad } from '../components/data.tsx';
import {
  CopyButton,
  DangerButton,
  formatDate,
  Notice,
  PageHeader,
  TableHead,
  TextField,
  useSubmit,
} from '../components/ui.tsx';
import { useTitle } from '../router.tsx';
import { useCanWrite } from '../session.tsx';
import type { ApiKeyView, CreatedApiKeyView } from '../types.ts';

export function ApiKeysPage() {
  useTitle('API keys');
  const canWrite = useCanWrite();
  const loaded = useLoad(() => api.get<{ data: ApiKeyView[] }>('/api-keys'), 'keys');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedApiKeyView | undefined>();
  const create = useSubmit();
  const revoke = useSubmit();
  const onCreate = (event: FormEvent) => {
    event.preventDefault();
    void create.run(async () => {
      setCreated(await api.post<CreatedApiKeyView>('/api-keys', { name }));
      setName('');
      loaded.reload();
    });
  };
  return (
    <>
      <PageHeader
        title="API keys"
        subtitle="Keys give scripts and other systems full access to this workspace's API."
      />
      {canWrite ? (
        <form className="card form inline-form" onSubmit={onCreate} aria-label="Create an API key">
          <TextField
            label="Name of the new key"
            value={name}
            onChange={setName}
            required
            error={create.fieldError('name')}
            placeholder="e.g. website form"
          />
          <button type="submit" className="button button-primary" disabled={create.busy}>
            Create key
          </button>
        </form>
      ) : null}
      <Notice error={create.error ?? revoke.error} />
      {created ? (
        <div className="notice notice-success" role="status">
          <p>
            <strong>Key “{created.name}” created.</strong> Copy it now: refsync keeps only its hash and will
            not show it again.
          </p>
          <p className="secret">
            <code data-testid="new-key">{created.key}</code>{' '}
            <CopyButton text={created.key} label="Copy the new API key" />
          </p>
        </div>
      ) : null}
      <DataState
        loaded={loaded}
        what="API keys"
        isEmpty={(page) => page.data.length === 0}
        empty="No API keys."
      >
        {(page) => (
          <table className="table">
            <caption className="visually-hidden">API keys</caption>
            <TableHead columns={['Name', 'Starts with', 'Created', 'Last used', 'Status']} />
            <tbody>
              {page.data.map((key) => (
                <tr key={key.id}>
                  <td>{key.name}</td>
                  <td>
                    <code>{key.prefix}…</code>
                  </td>
                  <td>{formatDate(key.createdAt)}</td>
                  <td>{formatDate(key.lastUsedAt)}</td>
                  <td>
                    {key.revokedAt ? (
                      `Revoked ${formatDate(key.revokedAt)}`
                    ) : canWrite ? (
                      <DangerButton
                        label={`Revoke ${key.name}`}
                        question={`Revoke “${key.name}”? Anything using it stops working at once.`}
                        onConfirm={() =>
                          void revoke.run(async () => {
                            await api.delete(`/api-keys/${key.id}`);
                            loaded.reload();
                          })
                        }
                      >
                        Revoke
                      </DangerButton>
                    ) : (
                      'Active'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </DataState>
    </>
  );
}
