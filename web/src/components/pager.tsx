import { useState } from 'react';
import type { Page } from '../types.ts';
import { type Loaded, useLoad } from './data.tsx';

/**
 * Cursor paging as the API does it: forward by `nextCursor`, back by remembering the cursors
 * that led here. A change of filters (`key`) starts again at the first page.
 */
export function useCursorPages<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, key: string) {
  const [trail, setTrail] = useState<{ key: string; cursors: Array<string | undefined> }>({
    key,
    cursors: [undefined],
  });
  const cursors = trail.key === key ? trail.cursors : [undefined];
  const cursor = cursors.at(-1);
  const loaded = useLoad(() => fetchPage(cursor), `${key}|${cursor ?? ''}`);
  return {
    loaded,
    page: cursors.length,
    next: (nextCursor: string) => setTrail({ key, cursors: [...cursors, nextCursor] }),
    previous: () => setTrail({ key, cursors: cursors.slice(0, -1) }),
  };
}

export function Pager<T>(props: {
  loaded: Loaded<Page<T>>;
  page: number;
  next: (cursor: string) => void;
  previous: () => void;
  label: string;
}) {
  const nextCursor = props.loaded.state === 'ready' ? props.loaded.data.nextCursor : null;
  if (props.page === 1 && !nextCursor) return null;
  return (
    <nav className="pager" aria-label={`${props.label} pages`}>
      <button type="button" className="button" disabled={props.page <= 1} onClick={props.previous}>
        Previous page
      </button>
      <span aria-live="polite">Page {props.page}</span>
      <button
        type="button"
        className="button"
        disabled={!nextCursor}
        onClick={() => nextCursor && props.next(nextCursor)}
      >
        Next page
      </button>
    </nav>
  );
}
