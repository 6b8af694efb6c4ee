/**
 * Guest comments, when the share takes them: the reviewer page's panel and composer, on the
 * version the share opens. Guests see no internal notes (the api never answers them), cannot
 * resolve, edit or delete, and give their name before their first comment; their comments are
 * marked as a guest's (the panel's badge), for members too. Guests have no event stream: the list
 * is read again when the asset changes and after each comment.
 */
import { createCommentsPanel } from './comments-panel.ts';
import { element } from './dom.ts';
import type { FrameVideo } from './frame-video.ts';
import type { Comment } from './review-api.ts';
import { shareApi } from './share-api.ts';
import type { TimelineView } from './timeline.ts';

export interface GuestCommentsOptions {
  video: FrameVideo;
  timeline: TimelineView;
  /** Resolves true once the guest has a name (asked if need be). */
  ensureName(): Promise<boolean>;
  report(err: unknown): void;
}

export interface GuestComments {
  /** Lists the comments of `assetId`'s shared version. */
  show(assetId: string, versionId: string): Promise<void>;
  /** Selects a comment: seeks to its frame. */
  select(comment: Comment): void;
}

export function createGuestComments(options: GuestCommentsOptions): GuestComments {
  const { video, timeline } = options;
  const comments = new Map<string, Comment>();
  let assetId = '';
  let versionId = '';
  let selectedId: string | null = null;

  element('comments').hidden = false;
  // Guests write for everyone who reviews: no internal notes, one version, nothing to filter by it.
  element('composer-internal').closest('label')!.hidden = true;
  element('filter-version').closest('label')!.hidden = true;
  const filterResolved = element<HTMLInputElement>('filter-resolved');

  const panel = createCommentsPanel(element('comment-list'), {
    me: () => null,
    select: (comment) => select(comment),
    reply: async (parent, text) => {
      if (!(await options.ensureName())) return;
      upsert(await shareApi.createComment(assetId, { text, parentId: parent.id }));
    },
    mayResolve: false,
    setResolved: async () => {},
    edit: async () => {},
    remove: async () => {},
    report: options.report,
  });

  const render = () => {
    const all = [...comments.values()];
    panel.render(all, {
      filter: { versionId, showResolved: filterResolved.checked },
      currentVersionId: versionId,
      selectedId,
    });
    timeline.showComments(
      all.filter((c) => filterResolved.checked || !c.resolved),
      selectedId,
    );
    const open = all.filter((c) => !c.deleted && !c.resolved && c.parentId === null).length;
    element('comment-count').textContent = `${open} open`;
  };
  const upsert = (comment: Comment) => {
    comments.set(comment.id, comment);
    render();
  };
  filterResolved.addEventListener('change', render);

  function select(comment: Comment): void {
    selectedId = comment.id;
    video.pause();
    video.seekToFrame(comment.frame);
    render();
  }

  const composer = element<HTMLFormElement>('composer');
  const text = element<HTMLTextAreaElement>('composer-text');
  const submit = element<HTMLButtonElement>('composer-submit');
  const showAnchor = () => {
    element('composer-at').textContent = video.timecode;
  };
  video.onFrame(showAnchor);
  // A note is about the picture on screen: typing one stops playback there.
  text.addEventListener('focus', () => video.pause());
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) composer.requestSubmit();
    if (event.key === 'Escape') text.blur();
  });
  composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const body = text.value.trim();
    if (!body) return;
    submit.disabled = true;
    const frame = video.frame;
    options
      .ensureName()
      .then(async (named) => {
        if (!named) return;
        const comment = await shareApi.createComment(assetId, { frame, text: body });
        text.value = '';
        selectedId = comment.id;
        upsert(comment);
      })
      .catch(options.report)
      .finally(() => {
        submit.disabled = false;
      });
  });

  return {
    async show(nextAssetId, nextVersionId) {
      assetId = nextAssetId;
      versionId = nextVersionId;
      selectedId = null;
      comments.clear();
      render();
      showAnchor();
      const listed = await shareApi.listComments(assetId);
      if (assetId !== nextAssetId) return;
      for (const comment of listed) comments.set(comment.id, comment);
      render();
    },
    select,
  };
}
