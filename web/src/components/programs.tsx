import type { ReactNode } from 'react';
import { api } from '../api.ts';
import { Link } from '../router.tsx';
import type { Page, ProgramView } from '../types.ts';
import { DataState, useLoad } from './data.tsx';

/** The workspace's programs (filters and forms pick from them). */
export function usePrograms() {
  return useLoad(() => api.get<Page<ProgramView>>('/programs', { limit: 200 }), 'programs');
}

/** A form that needs a program: says so, with a way to create one, when there is none. */
export function NeedsProgram(props: { what: string; children: (programs: ProgramView[]) => ReactNode }) {
  const programs = usePrograms();
  return (
    <DataState
      loaded={programs}
      what="programs"
      isEmpty={(page) => page.data.length === 0}
      empty={
        <>
          {props.what} belongs to a program: <Link href="/programs/new">create a program</Link> first.
        </>
      }
    >
      {(page) => props.children(page.data)}
    </DataState>
  );
}
