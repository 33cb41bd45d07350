import { api } from '../api.ts';
import { DataState } from '../components/data.tsx';
import { FilterBar, useFilters } from '../components/filters.tsx';
import { Pager, useCursorPages } from '../components/pager.tsx';
import { usePrograms } from '../components/programs.tsx';
import {
  Badge,
  formatDate,
  PageHeader,
  personName,
  SelectField,
  TableHead,
  TextField,
} from '../components/ui.tsx';
import { Link, setQuery, useTitle } from '../router.tsx';
import { useCanWrite } from '../session.tsx';
import type { Page, ReferralView } from '../types.ts';

const filterNames = ['programId', 'milestone', 'memberId', 'createdFrom', 'createdTo', 'q'] as const;

export function ReferralsPage() {
  useTitle('Referrals');
  const canWrite = useCanWrite();
  const { values: filters, key, active: filtered, clear } = useFilters(filterNames);
  const programs = usePrograms();
  const programList = programs.state === 'ready' ? programs.data.data : [];
  const program = programList.find((item) => item.id === filters.programId);
  const milestones = program
    ? program.milestones
    : [...new Map(programList.flatMap((item) => item.milestones).map((m) => [m.code, m])).values()];
  const paging = useCursorPages(
    (cursor) => api.get<Page<ReferralView>>('/referrals', { ...filters, cursor, limit: 50 }),
    key,
  );
  const programName = (id: string) => programList.find((item) => item.id === id)?.name ?? id;
  const labelOf = (referral: ReferralView) =>
    programList
      .find((item) => item.id === referral.programId)
      ?.milestones.find((m) => m.code === referral.milestone)?.label ?? referral.milestone;

  return (
    <>
      <PageHeader
        title="Referrals"
        subtitle="Everyone your members referred, newest first."
        actions={
          canWrite ? (
            <Link className="button button-primary" href="/referrals/new">
              Add referral
            </Link>
          ) : null
        }
      />
      <FilterBar label="Filter referrals" active={filtered} onClear={clear}>
        <TextField
          label="Search"
          value={filters.q}
          placeholder="Name, email, company"
          onChange={(value) => setQuery({ q: value })}
        />
        <SelectField
          label="Program"
          value={filters.programId}
          onChange={(value) => setQuery({ programId: value, milestone: undefined })}
          options={[
            { value: '', label: 'All programs' },
            ...programList.map((item) => ({ value: item.id, label: item.name })),
          ]}
        />
        <SelectField
          label="Milestone"
          value={filters.milestone}
          onChange={(value) => setQuery({ milestone: value })}
          options={[
            { value: '', label: 'Any milestone' },
            ...milestones.map((m) => ({ value: m.code, label: m.label })),
          ]}
        />
        <TextField
          label="Member ID"
          value={filters.memberId}
          placeholder="mem_…"
          onChange={(value) => setQuery({ memberId: value })}
        />
        <TextField
          label="Added from"
          type="date"
          value={filters.createdFrom}
          onChange={(value) => setQuery({ createdFrom: value })}
        />
        <TextField
          label="Added until"
          type="date"
          value={filters.createdTo}
          onChange={(value) => setQuery({ createdTo: value })}
        />
      </FilterBar>
      <DataState
        loaded={paging.loaded}
        what="referrals"
        isEmpty={(page) => page.data.length === 0}
        empty={
          filtered
            ? 'No referral matches these filters.'
            : 'No referrals yet. They arrive through your referral form, the API, or "Add referral".'
        }
      >
        {(page) => (
          <table className="table" data-testid="referrals-table">
            <caption className="visually-hidden">Referrals, page {paging.page}</caption>
            <TableHead columns={['Name', 'Email', 'Company', 'Milestone', 'Program', 'Added']} />
            <tbody>
              {page.data.map((referral) => (
                <tr key={referral.id}>
                  <td>
                    <Link href={`/referrals/${referral.id}`}>{personName(referral)}</Link>
                  </td>
                  <td>{referral.email ?? '—'}</td>
                  <td>{referral.company ?? '—'}</td>
                  <td>
                    <Badge kind={referral.milestoneKind}>{labelOf(referral)}</Badge>
                  </td>
                  <td>{programName(referral.programId)}</td>
                  <td>{formatDate(referral.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </DataState>
      <Pager {...paging} label="Referrals" />
    </>
  );
}
