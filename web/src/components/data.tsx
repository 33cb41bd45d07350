import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api.ts';

export type Loaded<T> =
  | { state: 'loading'; data: undefined; error: undefined }
  | { state: 'error'; data: undefined; error: ApiError }
  | { state: 'ready'; data: T; error: undefined };

/**
 * Loads data for a page and reloads when `key` changes; a late answer to an older key is
 * dropped. `reload()` fetches again, keeping what is shown until the new answer arrives.
 */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> & { reload: () => void } {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading', data: undefined, error: undefined });
  const [round, setRound] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` and `round` decide when to load again
  useEffect(() => {
    let current = true;
    if (round === 0) setResult({ state: 'loading', data: undefined, error: undefined });
    latest
      .current()
      .then((data) => current && setResult({ state: 'ready', data, error: undefined }))
      .catch(
        (error: unknown) =>
          current && setResult({ state: 'error', data: undefined, error: asApiError(error) }),
      );
    return () => {
      current = false;
    };
  }, [key, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { ...result, reload };
}

export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, 'unexpected', error instanceof Error ? error.message : String(error), undefined);
}

/** The three states every list and page has: loading, failed (with a retry), empty. */
export function DataState<T>(props: {
  loaded: Loaded<T> & { reload: () => void };
  what: string;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  const { loaded } = props;
  if (loaded.state === 'loading') {
    return (
      <div className="state state-loading" role="status" aria-live="polite">
        <span className="spinner" aria-hidden="true" /> Loading {props.what}…
      </div>
    );
  }
  if (loaded.state === 'error') {
    return (
      <div className="state state-error" role="alert">
        <p>
          <strong>Could not load {props.what}.</strong> {loaded.error.message}
        </p>
        <button type="button" className="button" onClick={loaded.reload}>
          Try again
        </button>
      </div>
    );
  }
  if (props.isEmpty?.(loaded.data)) {
    return <div className="state state-empty">{props.empty ?? `No ${props.what} yet.`}</div>;
  }
  return <>{props.children(loaded.data)}</>;
}
