import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext, Caller, SignedInUser } from '../context.ts';
import { AppError } from '../core/errors.ts';
import { callerOf } from '../http/auth.ts';
import { clearSessionCookie, expectedOrigins, setSessionCookie } from '../http/cookies.ts';
import { getWorkspace } from '../workspaces/service.ts';
import { verifyPassword } from './password.ts';
import {
  acceptBody,
  changePasswordBody,
  changeRoleBody,
  createdInvitationSchema,
  createInvitationBody,
  invitationSchema,
  sessionSchema,
  signInBody,
  userSchema,
  welcomeSchema,
} from './schemas.ts';
import {
  acceptInvitation,
  changeRole,
  createInvitation,
  endSession,
  getUser,
  type InvitationRow,
  invitationUrl,
  listInvitations,
  listUsers,
  openInvitation,
  removeUser,
  revokeInvitation,
  sessionIdleMs,
  setPassword,
  startSession,
  type UserRow,
} from './service.ts';
import { signIn } from './sign-in.ts';

const tags = ['users'];
const idParams = z.object({ id: z.string() });

function toUserView(row: UserRow) {
  return { id: row.id, email: row.email, role: row.role, createdAt: row.createdAt.toISOString() };
}

function toInvitationView(row: InvitationRow) {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
  };
}

/** What the console learns on sign-in and on every page load: who, where, and the CSRF token. */
async function sessionAnswer(ctx: AppContext, user: UserRow, csrfToken: string) {
  const workspace = await getWorkspace(ctx.db, user.workspaceId);
  return { user: toUserView(user), workspace: { id: workspace.id, name: workspace.name }, csrfToken };
}

function signedIn(caller: Caller): SignedInUser {
  if (!caller.user) throw new AppError('forbidden', 'Only a person signed in to the console can do this');
  return caller.user;
}

/** Sign-in and invitation links: reached without a session, under /api/v1/auth. */
export const publicAuthRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  // A page of another site must not sign a browser in (login CSRF): a foreign Origin is refused.
  app.addHook('onRequest', async (request) => {
    const origin = request.headers.origin;
    if (origin && !expectedOrigins(request, ctx.config.publicUrl).includes(origin)) {
      throw new AppError('forbidden', `Origin ${origin} may not sign in here`);
    }
  });

  app.post(
    '/sign-in',
    {
      schema: {
        tags,
        summary: 'Sign in to the console (sets the session cookie)',
        security: [],
        body: signInBody,
        response: { 200: sessionSchema },
      },
    },
    async (request, reply) => {
      const { user, session, token } = await signIn(ctx.db, { ...request.body, ip: request.ip });
      setSessionCookie(reply, request, ctx.config.publicUrl, token, sessionIdleMs / 1000);
      return sessionAnswer(ctx, user, session.csrfToken);
    },
  );

  app.post(
    '/welcome/open',
    {
      schema: {
        tags,
        summary: 'What a one-time link (invitation, owner link) is for',
        description: 'The token travels in the body, never in a URL that logs would keep.',
        security: [],
        body: z.object({ token: z.string().min(1).max(200) }),
        response: { 200: welcomeSchema },
      },
    },
    async (request) => {
      const invitation = await openInvitation(ctx.db, request.body.token);
      const workspace = await getWorkspace(ctx.db, invitation.workspaceId);
      return {
        email: invitation.email,
        role: invitation.role,
        workspace: workspace.name,
        expiresAt: invitation.expiresAt.toISOString(),
      };
    },
  );

  app.post(
    '/welcome',
    {
      schema: {
        tags,
        summary: 'Set a password through a one-time link (creates the user and signs in)',
        security: [],
        body: acceptBody,
        response: { 200: sessionSchema },
      },
    },
    async (request, reply) => {
      const user = await acceptInvitation(ctx.db, request.body.token, request.body);
      const { session, token } = await startSession(ctx.db, user);
      setSessionCookie(reply, request, ctx.config.publicUrl, token, sessionIdleMs / 1000);
      return sessionAnswer(ctx, user, session.csrfToken);
    },
  );
};

/** Routes for a caller already known (session cookie or API key). */
export const userRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/auth/session',
    {
      schema: {
        tags,
        summary: 'The signed-in person, their workspace and CSRF token',
        response: { 200: sessionSchema },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const me = signedIn(caller);
      return sessionAnswer(ctx, await getUser(ctx.db, caller.workspaceId, me.id), me.csrfToken);
    },
  );

  app.post(
    '/auth/sign-out',
    {
      config: { viewerMayWrite: true },
      schema: { tags, summary: 'Sign out (ends this session)', response: { 204: z.null() } },
    },
    async (request, reply) => {
      await endSession(ctx.db, signedIn(callerOf(request)).sessionId);
      clearSessionCookie(reply, request, ctx.config.publicUrl);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/auth/password',
    {
      config: { viewerMayWrite: true },
      schema: {
        tags,
        summary: 'Change your password (signs out your other sessions)',
        body: changePasswordBody,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const me = signedIn(caller);
      const user = await getUser(ctx.db, caller.workspaceId, me.id);
      if (!(await verifyPassword(request.body.currentPassword, user.passwordHash))) {
        throw new AppError('validation_failed', 'currentPassword: is wrong', {
          details: [{ field: 'currentPassword', message: 'is wrong' }],
        });
      }
      await setPassword(ctx.db, user, request.body.newPassword, me.sessionId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/users',
    {
      schema: {
        tags,
        summary: 'People who can sign in to this workspace',
        response: { 200: z.object({ data: z.array(userSchema) }) },
      },
    },
    async (request) => ({ data: (await listUsers(ctx.db, callerOf(request).workspaceId)).map(toUserView) }),
  );

  app.patch(
    '/users/:id',
    {
      schema: {
        tags,
        summary: "Change a user's role",
        params: idParams,
        body: changeRoleBody,
        response: { 200: userSchema },
      },
    },
    async (request) =>
      toUserView(
        await changeRole(ctx.db, callerOf(request).workspaceId, request.params.id, request.body.role),
      ),
  );

  app.delete(
    '/users/:id',
    {
      schema: {
        tags,
        summary: 'Remove a user (signs them out)',
        params: idParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await removeUser(ctx.db, callerOf(request).workspaceId, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/invitations',
    {
      schema: {
        tags,
        summary: 'Invitations not yet used',
        response: { 200: z.object({ data: z.array(invitationSchema) }) },
      },
    },
    async (request) => ({
      data: (await listInvitations(ctx.db, callerOf(request).workspaceId)).map(toInvitationView),
    }),
  );

  app.post(
    '/invitations',
    {
      schema: {
        tags,
        summary: 'Invite a person by link',
        description: 'The answer holds the one-time link (valid 7 days); send it to the person yourself.',
        body: createInvitationBody,
        response: { 201: createdInvitationSchema },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { invitation, token } = await createInvitation(ctx.db, caller.workspaceId, {
        ...request.body,
        createdBy: caller.actor,
      });
      return reply
        .code(201)
        .send({ ...toInvitationView(invitation), url: invitationUrl(ctx.config.publicUrl, token) });
    },
  );

  app.delete(
    '/invitations/:id',
    { schema: { tags, summary: 'Revoke an invitation', params: idParams, response: { 204: z.null() } } },
    async (request, reply) => {
      await revokeInvitation(ctx.db, callerOf(request).workspaceId, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
