import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { maxCommentText } from '@mediavault/core/review';
import { requestContext } from '../plugins/auth.ts';
import {
  Annotation,
  Approval,
  Comment,
  errorResponses,
  Frame,
  Int,
  List,
  Nullable,
  Text,
  Uuid,
} from '../schemas/common.ts';
import {
  createComment,
  deleteComment,
  getComment,
  listComments,
  reopenComment,
  resolveComment,
  setApproval,
  updateComment,
} from '../services/comments.ts';

const tags = ['review'];
const CommentText = Text(maxCommentText, { minLength: 1 });
const commentParams = Type.Object({ commentId: Uuid });
const commentResponse = { 200: Type.Ref(Comment), ...errorResponses(400, 401, 403, 404, 409) };

export const commentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps } = app;

  app.get(
    '/api/assets/:assetId/comments',
    {
      schema: {
        operationId: 'listComments',
        tags,
        summary:
          "An asset's comments across its versions: newest version first, then by frame, replies after their thread; paged",
        params: Type.Object({ assetId: Uuid }),
        querystring: Type.Object({
          versionId: Type.Optional(Uuid),
          resolved: Type.Optional(Type.Boolean({ description: 'only resolved (true) or open (false) threads' })),
          limit: Type.Optional(Int(1, 500, { default: 100 })),
          cursor: Type.Optional(Type.String({ maxLength: 400 })),
        }),
        response: {
          200: Type.Object({ items: List(Type.Ref(Comment), 500), nextCursor: Nullable(Text(400)) }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request) =>
      listComments(deps, requestContext(request), request.params.assetId, {
        ...request.query,
        limit: request.query.limit ?? 100,
      }),
  );

  app.post(
    '/api/assets/:assetId/comments',
    {
      schema: {
        operationId: 'createComment',
        tags,
        summary: 'Comment on a frame or a range of frames of a version (the latest by default), or reply to a thread',
        params: Type.Object({ assetId: Uuid }),
        body: Type.Object(
          {
            versionId: Type.Optional(Uuid),
            frame: Type.Optional(Frame),
            endFrame: Type.Optional(Int(0, 2 ** 31 - 1, { description: 'last frame of a range (inclusive)' })),
            text: CommentText,
            parentId: Type.Optional(Uuid),
            internal: Type.Optional(Type.Boolean({ description: 'team only: never shown to guests of a share link' })),
            annotation: Type.Optional(Type.Ref(Annotation)),
          },
          {
            additionalProperties: false,
            description:
              "frame is required, except in a reply: a reply (parentId: a thread's first comment, of the same asset) takes its thread's version, frame and end frame, and values given for them are not used",
          },
        ),
        response: { 201: Type.Ref(Comment), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createComment(deps, requestContext(request), request.params.assetId, request.body)),
  );

  app.get(
    '/api/comments/:commentId',
    {
      schema: {
        operationId: 'getComment',
        tags,
        summary: 'One comment (a deleted one as its tombstone)',
        params: commentParams,
        response: { 200: Type.Ref(Comment), ...errorResponses(401, 404) },
      },
    },
    async (request) => getComment(deps, requestContext(request), request.params.commentId),
  );

  app.patch(
    '/api/comments/:commentId',
    {
      schema: {
        operationId: 'updateComment',
        tags,
        summary: "Edit a comment's text or drawing (its author only)",
        params: commentParams,
        body: Type.Object(
          {
            text: Type.Optional(CommentText),
            annotation: Type.Optional(Nullable(Type.Ref(Annotation), { description: 'null removes the drawing' })),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: commentResponse,
      },
    },
    async (request) => updateComment(deps, requestContext(request), request.params.commentId, request.body),
  );

  app.delete(
    '/api/comments/:commentId',
    {
      schema: {
        operationId: 'deleteComment',
        tags,
        summary: 'Delete a comment (its author, or a project admin): it stays as a tombstone, audited',
        params: commentParams,
        response: { 200: Type.Ref(Comment), ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => deleteComment(deps, requestContext(request), request.params.commentId),
  );

  for (const [path, operationId, summary, change] of [
    ['resolve', 'resolveComment', 'Resolve a thread (through its first comment)', resolveComment],
    ['reopen', 'reopenComment', 'Open a resolved thread again', reopenComment],
  ] as const) {
    app.post(
      `/api/comments/:commentId/${path}`,
      { schema: { operationId, tags, summary, params: commentParams, response: commentResponse } },
      async (request) => change(deps, requestContext(request), request.params.commentId),
    );
  }

  app.put(
    '/api/assets/:assetId/versions/:versionId/approval',
    {
      schema: {
        operationId: 'setApproval',
        tags,
        summary: 'Approve a version, ask for changes, or clear the decision (none)',
        params: Type.Object({ assetId: Uuid, versionId: Uuid }),
        body: Type.Object(
          {
            status: Type.Union([Type.Literal('approved'), Type.Literal('changes_requested'), Type.Literal('none')]),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref(Approval), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      setApproval(deps, requestContext(request), request.params.assetId, request.params.versionId, request.body.status),
  );
};
