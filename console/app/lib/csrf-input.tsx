/** The hidden field every state-changing form carries; the token comes from requireUser().csrfToken. */
export function CsrfInput({ token }: { token: string }) {
  return <input type="hidden" name="csrf" value={token} />;
}
