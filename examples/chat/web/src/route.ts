// The room in the address (/rooms/42; ssot serve answers such paths with index.html), kept in
// step with the browser's back and forward buttons.
import { useCallback, useEffect, useState } from "react";

const ROOM_PATH = /^\/rooms\/([1-9][0-9]*)$/;

/** The path of a room, keeping the query (a ?token= stays with its window). */
export const roomHref = (id: number) => `/rooms/${id}${window.location.search}`;

/** [the selected room's id or null, select(id)]. */
export function useRoomRoute(): [number | null, (id: number) => void] {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const onPop = () => setPath(window.location.pathname);
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const select = useCallback((id: number) => {
    window.history.pushState(null, "", roomHref(id));
    setPath(window.location.pathname);
  }, []);
  const match = ROOM_PATH.exec(path);
  return [match?.[1] === undefined ? null : Number(match[1]), select];
}
