import type { ReactNode } from 'react';
import { api } from '../api.ts';
import { CustomFieldValues } from '../components/custom-fields.tsx';
import { DataState, useLoad } from '../components/data.tsx';
import { Badge, CopyButton, formatDate, PageHeader, personName } from '../components/ui.tsx';
import { Link, useTitle } from '../router.tsx';
import type { MemberView, Page, ProgramView, ReferralView } from '../types.ts';

export function MemberPage(props: { id: string }) {
  const loaded = useLoad(async () => {
    const member = await api.get<MemberView>(`/members/${props.id}`);
    const program = await api.get<ProgramView>(`/programs/${member.programId}`);
    return { member, program };
  }, props.id);
  const referrals = useLoad(
    () => api.get<Page<ReferralView>>('/referrals', { memberId: props.id, limit: 20 }),
    props.id,
  );
  return (
    <DataState loaded={loaded} what="the member">
      {({ member, program }) => (
        <MemberDetail
          member={member}
          program={program}
          referrals={
            <DataState
              loaded={referrals}
              what="their referrals"
              isEmpty={(page) => page.data.length === 0}
              empty="No referrals yet."
            >
              {(page) => (
                <>
                  <ul className="plain-list">
                    {page.data.map((referral) => (
                      <li key={referral.id}>
                        <Link href={`/referrals/${referral.id}`}>{personName(referral)}</Link>{' '}
                        <Badge kind={referral.milestoneKind}>
                          {program.milestones.find((m) => m.code === referral.milestone)?.label ??
                            referral.milestone}
                        </Badge>{' '}
                        <span className="muted">{formatDate(referral.createdAt)}</span>
                      </li>
                    ))}
                  </ul>
                  {page.nextCursor ? (
                    <Link href={`/referrals?memberId=${member.id}`}>All their referrals</Link>
                  ) : null}
                </>
              )}
            </DataState>
          }
        />
      )}
    </DataState>
  );
}

function MemberDetail(props: { member: MemberView; program: ProgramView; referrals: ReactNode }) {
  const { member, program } = props;
  useTitle(personName(member));
  return (
    <>
      <PageHeader
        title={personName(member)}
        subtitle={
          <>
            Member of <Link href={`/programs/${program.id}`}>{program.name}</Link>
          </>
        }
      />
      <div className="detail-grid">
        <section className="card" aria-labelledby="member-details">
          <h2 id="member-details">Details</h2>
          <dl className="details">
            <div>
              <dt>Referral code</dt>
              <dd>
                <code>{member.referralCode}</code>{' '}
                <CopyButton text={member.referralCode} label="Copy the referral code" />
              </dd>
            </div>
            <div>
              <dt>Referral link</dt>
              <dd>
                <a href={member.referralLink} target="_blank" rel="noreferrer">
                  {member.referralLink}
                </a>{' '}
                <CopyButton text={member.referralLink} label="Copy the referral link" />
              </dd>
            </div>
            <div>
              <dt>Email</dt>
              <dd>{member.email ?? '—'}</dd>
            </div>
            <div>
              <dt>Phone</dt>
              <dd>{member.phone ?? '—'}</dd>
            </div>
            <div>
              <dt>External ID</dt>
              <dd>{member.externalId ?? '—'}</dd>
            </div>
            <div>
              <dt>Added</dt>
              <dd>{formatDate(member.createdAt)}</dd>
            </div>
          </dl>
        </section>
        <section className="card" aria-labelledby="member-custom">
          <h2 id="member-custom">Custom fields</h2>
          <CustomFieldValues fields={program.memberFields} values={member.customFields} />
        </section>
        <section className="card wide" aria-labelledby="member-referrals">
          <h2 id="member-referrals">Their referrals</h2>
          {props.referrals}
        </section>
      </div>
    </>
  );
}
