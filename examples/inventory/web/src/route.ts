// The page in the address: the catalogue (/) or a product (/products/42; ssot serve answers
// such paths with index.html), kept in step with the browser's back and forward buttons.
import { useCallback, useEffect, useState } from "react";

const PRODUCT_PATH = /^\/products\/([1-9][0-9]*)$/;

/** The path of a product (null: the catalogue), keeping the query (a ?token= stays with its window). */
export const href = (productId: number | null) =>
  `${productId === null ? "/" : `/products/${productId}`}${window.location.search}`;

/** [the product in the address or null for the catalogue, go(productId or null)]. */
export function useRoute(): [number | null, (productId: number | null) => void] {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const onPop = () => setPath(window.location.pathname);
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const go = useCallback((productId: number | null) => {
    window.history.pushState(null, "", href(productId));
    setPath(window.location.pathname);
  }, []);
  const match = PRODUCT_PATH.exec(path);
  return [match?.[1] === undefined ? null : Number(match[1]), go];
}
