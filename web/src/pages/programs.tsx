import { DataState } from '../components/data.tsx';
import { usePrograms } from '../components/programs.tsx';
import { formatDate, PageHeader, TableHead } from '../components/ui.tsx';
import { Link, useTitle } from '../router.tsx';
import { useCanWrite } from '../session.tsx';

export function ProgramsPage() {
  useTitle('Programs');
  const canWrite = useCanWrite();
  const loaded = usePrograms();
  return (
    <>
      <PageHeader
        title="Programs"
        subtitle="Each program has its milestones, custom fields and referral link."
        actions={
          canWrite ? (
            <Link className="button button-primary" href="/programs/new">
              New program
            </Link>
          ) : null
        }
      />
      <DataState
        loaded={loaded}
        what="programs"
        isEmpty={(page) => page.data.length === 0}
        empty={canWrite ? 'No program yet: create one with "New program".' : 'No program yet.'}
      >
        {(page) => (
          <table className="table">
            <caption className="visually-hidden">Programs</caption>
            <TableHead columns={['Name', 'Milestones', 'Custom fields', 'Created']} />
            <tbody>
              {page.data.map((program) => (
                <tr key={program.id}>
                  <td>
                    <Link href={`/programs/${program.id}`}>{program.name}</Link>
                  </td>
                  <td>{program.milestones.map((m) => m.label).join(' → ')}</td>
                  <td>
                    {program.memberFields.length} for members, {program.referralFields.length} for referrals
                  </td>
                  <td>{formatDate(program.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </DataState>
    </>
  );
}
