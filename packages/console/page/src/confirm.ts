/** Asks before a state change, in the page's own <dialog> (no window.confirm: it blocks the page). */
export function confirmAction(question: string): Promise<boolean> {
  const dialog = document.getElementById('confirm') as HTMLDialogElement;
  (document.getElementById('confirm-text') as HTMLElement).textContent = question;
  const ok = document.getElementById('confirm-ok') as HTMLButtonElement;
  const cancel = document.getElementById('confirm-cancel') as HTMLButtonElement;
  return new Promise((resolve) => {
    const done = (answer: boolean) => {
      ok.removeEventListener('click', yes);
      cancel.removeEventListener('click', no);
      dialog.removeEventListener('cancel', no);
      dialog.close();
      resolve(answer);
    };
    const yes = () => done(true);
    const no = () => done(false);
    ok.addEventListener('click', yes);
    cancel.addEventListener('click', no);
    dialog.addEventListener('cancel', no);
    dialog.showModal();
  });
}
