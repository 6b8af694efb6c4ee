/**
 * The share page's own look (the gate pages, the "preparing" state, the playlist, the download
 * buttons, the guest mark), on top of player.css, which it shares with the reviewer page. Added
 * to the document by the share entry only, so the other entries are unchanged.
 */

const css = `
.review.sharing {
  align-self: start;
}
.sharing .share-header {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 0.5rem 0.75rem;
}
.sharing .share-item-title {
  color: var(--muted);
  overflow-wrap: anywhere;
}
.sharing .share-guest {
  margin-left: auto;
  color: var(--muted);
  font-size: 0.85rem;
}
.share-gate {
  width: min(100%, 30rem);
  justify-self: center;
  margin-top: 8vh;
  display: grid;
  gap: 0.75rem;
  background: var(--panel);
  border: 1px solid var(--line);
  border-radius: 8px;
  padding: 1.5rem;
}
.share-gate h2 {
  margin: 0;
  font-size: 1.25rem;
}
.share-gate p {
  margin: 0;
  color: var(--muted);
}
.share-password {
  display: grid;
  gap: 0.5rem;
}
.share-password input,
.sharing dialog input[type="text"] {
  font: inherit;
  color: var(--text);
  background: var(--raised);
  border: 1px solid var(--line);
  border-radius: 4px;
  padding: 0.55rem 0.6rem;
  width: 100%;
}
.share-password button {
  justify-self: start;
}
.share-password-status:empty {
  display: none;
}
.share-preparing {
  position: absolute;
  inset: 0;
  display: grid;
  place-items: center;
  padding: 1rem;
  text-align: center;
  background: radial-gradient(circle, #1f2430 0%, #000 75%);
  color: var(--text);
  z-index: 4;
}
.share-preparing::before {
  content: "";
  display: block;
  width: 2.5rem;
  height: 2.5rem;
  margin: 0 auto 0.75rem;
  border: 3px solid var(--line);
  border-top-color: var(--accent);
  border-radius: 50%;
  animation: share-spin 1s linear infinite;
}
@keyframes share-spin {
  to {
    transform: rotate(360deg);
  }
}
.share-extras {
  display: grid;
  gap: 0.5rem;
}
.share-downloads {
  display: flex;
  flex-wrap: wrap;
  gap: 0.5rem;
}
.share-download {
  color: var(--text);
  background: var(--raised);
  border: 1px solid var(--line);
  border-radius: 4px;
  padding: 0.45rem 0.9rem;
  text-decoration: none;
}
.share-download::before {
  content: "\\2193  ";
}
.share-download:hover {
  background: #343944;
}
.share-playlist {
  display: grid;
  gap: 0.4rem;
  background: var(--panel);
  border-radius: 6px;
  padding: 0.5rem;
}
.share-playlist .row {
  display: flex;
  align-items: center;
  gap: 0.5rem;
}
.share-position {
  color: var(--muted);
  font-size: 0.85rem;
  flex: 1;
  text-align: center;
}
.share-items {
  list-style: none;
  margin: 0;
  padding: 0;
  display: grid;
  gap: 0.25rem;
  max-height: 14rem;
  overflow: auto;
}
.share-item {
  width: 100%;
  display: flex;
  gap: 0.6rem;
  text-align: left;
  background: transparent;
  border-color: transparent;
}
.share-item[aria-current="true"] {
  background: #25344d;
  border-color: var(--accent);
}
.share-item-number {
  color: var(--muted);
  min-width: 1.5rem;
}
.share-item-name {
  overflow-wrap: anywhere;
}
.badge.guest {
  color: #c58af9;
  border-color: #5b3d7a;
}
@media (max-width: 900px) {
  .share-gate {
    margin-top: 2vh;
    padding: 1rem;
  }
  .share-download,
  .share-item {
    padding: 0.6rem 0.8rem;
  }
}
/* Last, and more specific than the display rules above. */
.sharing [hidden] {
  display: none;
}
`;

/** Adds the share page's styles to the document (once). */
export function applyShareStyles(): void {
  if (document.getElementById('share-styles')) return;
  const style = document.createElement('style');
  style.id = 'share-styles';
  style.textContent = css;
  document.head.append(style);
}
