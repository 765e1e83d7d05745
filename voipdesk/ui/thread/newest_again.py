"""Reading a thread's newest page again while it stays shown (a desk on the shared inbox that
starts following the store's changes, or whose missed changes were pruned): what the page holds
now is merged into the rows shown when it arrives, so the thread never goes blank meanwhile,
and nothing moves when nothing changed."""

from __future__ import annotations

from voipdesk.core.models import Message


class NewestAgain:
    """MessageWindow's reading of its newest page again (a mixin: it works on the window's own
    rows and paging)."""

    def read_newest_again(self) -> None:
        """Ask for the newest page again; when it comes, rows changed are updated in place, new
        ones added and ones gone taken out (or, when it does not join what is loaded, the rows
        are replaced in one step). A window moved up into older history is left as it is (the
        messages below it are read when the user scrolls down)."""
        if self._has_newer:
            return
        store, cid, page = self._store, self._cid, self._page
        self._ask(lambda: store.messages(cid, limit=page), self._merge_newest)

    def _merge_newest(self, fresh: list[Message]) -> None:
        if self._has_newer:  # moved up meanwhile
            return
        full = len(fresh) == self._page  # else: the whole thread
        rows = self._rows
        if full and rows and fresh[0].id > rows[-1].id:  # a gap between: not joined
            self._replace_all(fresh)
            return
        ids = {m.id for m in fresh}
        low = fresh[0].id if full else 0
        high = fresh[-1].id if fresh else (rows[-1].id if rows else 0)
        gone = [m.id for m in rows if low <= m.id <= high and m.id not in ids]
        if rows and len(gone) == len(rows):  # nothing shown stays: one step, never empty
            self._replace_all(fresh)
            return
        for message_id in gone:
            self.remove(message_id)
            self._removed.discard(message_id)  # (not discarded: a later change may show it)
        self.apply(fresh)

    def _replace_all(self, fresh: list[Message]) -> None:
        if [m.id for m in fresh] != [m.id for m in self._rows]:
            self._reload(fresh, has_older=len(fresh) == self._page, has_newer=False)
        else:
            self.apply(fresh)
