/**
 * The comment panel: threads in the api's order with their timecodes (a click seeks to that
 * frame), replies, resolve / reopen, edit and delete for the author, and the filters (this
 * version or all, resolved or not). It is redrawn whenever the list changes (live updates
 * included); a reply or an edit being typed survives the redraw, text, focus and caret.
 */
import { threadsOf, visibleThreads, type Thread, type ThreadFilter } from './comment-threads.ts';
import { make, shortDateTime } from './dom.ts';
import type { Comment } from './review-api.ts';

export interface CommentsPanelOptions {
  /** The signed-in reviewer (edit and delete are the author's). */
  me(): { userId: string } | null;
  /** Seek to the comment's frame (switching version if it is another's). */
  select(comment: Comment): void;
  reply(parent: Comment, text: string): Promise<void>;
  setResolved(comment: Comment, resolved: boolean): Promise<void>;
  /** Whether Resolve / Reopen is offered (share guests cannot resolve); yes by default. */
  mayResolve?: boolean;
  edit(comment: Comment, text: string): Promise<void>;
  remove(comment: Comment): Promise<void>;
  /** Failures of the actions above, said to the reviewer. */
  report(err: unknown): void;
}

export interface CommentsPanel {
  render(
    comments: Iterable<Comment>,
    view: { filter: ThreadFilter; currentVersionId: string; selectedId: string | null },
  ): void;
}

type OpenForm = { kind: 'reply' | 'edit'; text: string };

export function createCommentsPanel(list: HTMLElement, options: CommentsPanelOptions): CommentsPanel {
  const forms = new Map<string, OpenForm>();
  let redraw: () => void = () => {};

  const act = (button: HTMLButtonElement, action: () => Promise<void>) => {
    button.disabled = true;
    action()
      .catch(options.report)
      .finally(() => {
        button.disabled = false;
      });
  };

  const formFor = (comment: Comment, form: OpenForm) => {
    const field = make('textarea', {
      value: form.text,
      rows: 2,
      maxLength: 10_000,
      required: true,
      className: 'comment-field',
      dataset: { formFor: `${form.kind}:${comment.id}` },
      placeholder: form.kind === 'reply' ? 'Reply…' : '',
    });
    field.setAttribute('aria-label', form.kind === 'reply' ? `Reply to ${comment.author.name}` : 'Edit comment');
    field.addEventListener('input', () => {
      form.text = field.value;
    });
    const submit = make('button', { type: 'submit', textContent: form.kind === 'reply' ? 'Reply' : 'Save' });
    const cancel = make('button', { type: 'button', textContent: 'Cancel', className: 'quiet' });
    cancel.addEventListener('click', () => {
      forms.delete(comment.id);
      redraw();
    });
    const element = make('form', { className: 'comment-form' }, [
      field,
      make('div', { className: 'row' }, [submit, cancel]),
    ]);
    element.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = field.value.trim();
      if (!text) return;
      act(submit, async () => {
        await (form.kind === 'reply' ? options.reply(comment, text) : options.edit(comment, text));
        forms.delete(comment.id);
        redraw();
      });
    });
    field.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) element.requestSubmit();
    });
    return element;
  };

  const item = (comment: Comment, currentVersionId: string, selectedId: string | null, isReply: boolean) => {
    const mine = options.me()?.userId === comment.author.userId && comment.author.userId !== null;
    const at = comment.endTimecode ? `${comment.timecode} – ${comment.endTimecode}` : comment.timecode;
    const head = make('header', { className: 'comment-head' }, [
      make('span', { className: 'comment-author', textContent: comment.author.name }),
      make('time', {
        className: 'comment-when',
        dateTime: comment.createdAt,
        textContent: shortDateTime(comment.createdAt),
      }),
    ]);
    if (!isReply) {
      const seek = make('button', { type: 'button', className: 'comment-timecode', textContent: at });
      seek.setAttribute('aria-label', `Go to ${at}`);
      seek.addEventListener('click', () => options.select(comment));
      head.prepend(seek);
      if (comment.versionId !== currentVersionId)
        head.append(make('span', { className: 'badge', textContent: `v${comment.versionNumber}` }));
    }
    if (comment.author.kind === 'guest') head.append(make('span', { className: 'badge guest', textContent: 'Guest' }));
    if (comment.internal) head.append(make('span', { className: 'badge internal', textContent: 'Internal' }));
    if (comment.resolved) head.append(make('span', { className: 'badge resolved', textContent: 'Resolved' }));
    if (comment.annotation) head.append(make('span', { className: 'badge', textContent: 'Drawing' }));
    const body = comment.deleted
      ? make('p', { className: 'comment-text deleted', textContent: 'Comment deleted.' })
      : make('p', { className: 'comment-text', textContent: comment.text });
    if (comment.editedAt && !comment.deleted)
      body.append(make('span', { className: 'edited', textContent: ' (edited)' }));
    const actions = make('div', { className: 'comment-actions' });
    const button = (label: string, run: (self: HTMLButtonElement) => void) => {
      const self = make('button', { type: 'button', className: 'quiet', textContent: label });
      self.addEventListener('click', () => run(self));
      actions.append(self);
    };
    if (!comment.deleted) {
      if (!isReply) {
        button('Reply', () => {
          forms.set(comment.id, { kind: 'reply', text: '' });
          redraw();
          list.querySelector<HTMLTextAreaElement>(`[data-form-for="reply:${comment.id}"]`)?.focus();
        });
        if (options.mayResolve !== false)
          button(comment.resolved ? 'Reopen' : 'Resolve', (self) =>
            act(self, () => options.setResolved(comment, !comment.resolved)),
          );
      }
      if (mine) {
        button('Edit', () => {
          forms.set(comment.id, { kind: 'edit', text: comment.text });
          redraw();
          list.querySelector<HTMLTextAreaElement>(`[data-form-for="edit:${comment.id}"]`)?.focus();
        });
        button('Delete', (self) => {
          if (self.dataset.confirm) return act(self, () => options.remove(comment));
          self.dataset.confirm = 'yes';
          self.textContent = 'Delete for good?';
        });
      }
    }
    const form = forms.get(comment.id);
    const article = make(
      'article',
      {
        className: `comment${isReply ? ' reply' : ''}${comment.id === selectedId ? ' selected' : ''}${comment.resolved ? ' is-resolved' : ''}`,
        dataset: { commentId: comment.id },
      },
      [head, form?.kind === 'edit' ? formFor(comment, form) : body, actions],
    );
    return article;
  };

  const thread = ({ comment, replies }: Thread, currentVersionId: string, selectedId: string | null) => {
    const form = forms.get(comment.id);
    return make('li', { className: 'thread' }, [
      item(comment, currentVersionId, selectedId, false),
      ...replies.map((reply) => item(reply, currentVersionId, selectedId, true)),
      ...(form?.kind === 'reply' ? [formFor(comment, form)] : []),
    ]);
  };

  return {
    render(comments, view) {
      const all = [...comments];
      redraw = () => this.render(all, view);
      const active = document.activeElement as HTMLElement | null;
      const focusedForm = active?.dataset?.formFor;
      const selection =
        active instanceof HTMLTextAreaElement ? { start: active.selectionStart, end: active.selectionEnd } : null;
      const threads = visibleThreads(threadsOf(all), view.filter);
      list.replaceChildren(
        ...(threads.length > 0
          ? threads.map((t) => thread(t, view.currentVersionId, view.selectedId))
          : [make('li', { className: 'empty', textContent: 'No comments here yet.' })]),
      );
      if (focusedForm) {
        const again = list.querySelector<HTMLTextAreaElement>(`[data-form-for="${focusedForm}"]`);
        again?.focus();
        if (again && selection) again.setSelectionRange(selection.start, selection.end);
      }
    },
  };
}
