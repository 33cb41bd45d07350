import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { useLocation } from '../router.tsx';
import type { EntryCounts } from '../types.ts';

const changed = 'refsync:sales-entries-changed';

/** Tells the badge to count again (after a review decision or a retry). */
export function entriesChanged(): void {
  window.dispatchEvent(new Event(changed));
}

/** How many sales entries wait for review: read on every page change and each half minute. */
export function ReviewBadge() {
  const { path, query } = useLocation();
  const [waiting, setWaiting] = useState(0);
  const where = `${path}?${query.toString()}`;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `where` decides when to count again
  useEffect(() => {
    let current = true;
    const count = () =>
      api
        .get<EntryCounts>('/sales-entries/counts')
        .then((counts) => current && setWaiting(counts.review))
        .catch(() => undefined);
    void count();
    const timer = window.setInterval(count, 30_000);
    window.addEventListener(changed, count);
    return () => {
      current = false;
      window.clearInterval(timer);
      window.removeEventListener(changed, count);
    };
  }, [where]);
  if (waiting === 0) return null;
  return (
    <span className="nav-badge" data-testid="review-badge">
      {waiting}
      <span className="visually-hidden"> waiting for review</span>
    </span>
  );
}
