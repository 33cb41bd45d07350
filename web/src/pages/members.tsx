import { type FormEvent, useState } from 'react';
import { api } from '../api.ts';
import { CustomFieldInputs } from '../components/custom-fields.tsx';
import { DataState } from '../components/data.tsx';
import { Pager, useCursorPages } from '../components/pager.tsx';
import { PersonFields, type PersonValues, personBody } from '../components/person-fields.tsx';
import { NeedsProgram, usePrograms } from '../components/programs.tsx';
import {
  formatDate,
  Notice,
  PageHeader,
  personName,
  SelectField,
  TableHead,
  TextField,
  useSubmit,
} from '../components/ui.tsx';
import { Link, navigate, setQuery, useLocation, useTitle } from '../router.tsx';
import { useCanWrite } from '../session.tsx';
import type { MemberView, Page, ProgramView } from '../types.ts';

export function MembersPage() {
  useTitle('Members');
  const canWrite = useCanWrite();
  const { query } = useLocation();
  const q = query.get('q') ?? '';
  const programId = query.get('programId') ?? '';
  const programs = usePrograms();
  const programList = programs.state === 'ready' ? programs.data.data : [];
  const paging = useCursorPages(
    (cursor) => api.get<Page<MemberView>>('/members', { q, programId, cursor, limit: 50 }),
    `${q}|${programId}`,
  );
  return (
    <>
      <PageHeader
        title="Members"
        subtitle="Your referrers: customers, partners and advocates."
        actions={
          canWrite ? (
            <Link className="button button-primary" href="/members/new">
              Add member
            </Link>
          ) : null
        }
      />
      <form className="filters" aria-label="Filter members" onSubmit={(event) => event.preventDefault()}>
        <TextField
          label="Search"
          value={q}
          placeholder="Name, email, code"
          onChange={(value) => setQuery({ q: value })}
        />
        <SelectField
          label="Program"
          value={programId}
          onChange={(value) => setQuery({ programId: value })}
          options={[
            { value: '', label: 'All programs' },
            ...programList.map((p) => ({ value: p.id, label: p.name })),
          ]}
        />
      </form>
      <DataState
        loaded={paging.loaded}
        what="members"
        isEmpty={(page) => page.data.length === 0}
        empty={q || programId ? 'No member matches these filters.' : 'No members yet.'}
      >
        {(page) => (
          <table className="table">
            <caption className="visually-hidden">Members, page {paging.page}</caption>
            <TableHead columns={['Name', 'Email', 'Referral code', 'Program', 'Added']} />
            <tbody>
              {page.data.map((member) => (
                <tr key={member.id}>
                  <td>
                    <Link href={`/members/${member.id}`}>{personName(member)}</Link>
                  </td>
                  <td>{member.email ?? '—'}</td>
                  <td>
                    <code>{member.referralCode}</code>
                  </td>
                  <td>{programList.find((p) => p.id === member.programId)?.name ?? member.programId}</td>
                  <td>{formatDate(member.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </DataState>
      <Pager {...paging} label="Members" />
    </>
  );
}

export function NewMemberPage() {
  useTitle('Add member');
  return (
    <>
      <PageHeader title="Add member" subtitle="A referrer gets a referral code and link." />
      <NeedsProgram what="A member">{(programs) => <MemberForm programs={programs} />}</NeedsProgram>
    </>
  );
}

function MemberForm(props: { programs: ProgramView[] }) {
  const [programId, setProgramId] = useState(props.programs[0]?.id ?? '');
  const [person, setPerson] = useState<PersonValues>({ firstName: '', lastName: '', email: '' });
  const [referralCode, setReferralCode] = useState('');
  const [customFields, setCustomFields] = useState<Record<string, unknown>>({});
  const submit = useSubmit();
  const program = props.programs.find((p) => p.id === programId);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit.run(async () => {
      const member = await api.post<MemberView>('/members', {
        programId,
        ...personBody(person),
        ...(referralCode ? { referralCode } : {}),
        customFields,
      });
      navigate(`/members/${member.id}`);
    });
  };
  return (
    <form className="card form" onSubmit={onSubmit} aria-label="New member">
      <Notice error={submit.error} />
      <PersonFields
        programs={props.programs}
        programId={programId}
        onProgram={setProgramId}
        values={person}
        onChange={setPerson}
        fieldError={submit.fieldError}
      />
      <TextField
        label="Referral code"
        value={referralCode}
        onChange={setReferralCode}
        hint="Leave empty to have one generated."
        error={submit.fieldError('referralCode')}
      />
      <CustomFieldInputs
        fields={program?.memberFields ?? []}
        values={customFields}
        onChange={setCustomFields}
        fieldError={submit.fieldError}
      />
      <button type="submit" className="button button-primary" disabled={submit.busy}>
        Add member
      </button>
    </form>
  );
}
