// The catalogue: every product with its price and stock, by name, optionally of one category.
// Both lists are live (useList on Product:list and Category:list): a product added, restocked
// or sold out anywhere shows here without a reload.
import { useMemo, useState } from "react";
import { useList } from "../../generated/react/index.js";
import { href } from "./route";

export function Catalogue({ onOpen }: { onOpen: (productId: number) => void }) {
  const categories = useList("Category", { orderBy: { name: "asc" }, take: 100 });
  const names = useMemo(() => new Map((categories.data?.items ?? []).map((c) => [c.id, c.name])), [categories.data]);
  const [categoryId, setCategoryId] = useState<number | null>(null);
  // The filter is part of the query's key: choosing a category reads (and follows) that page.
  const products = useList("Product", {
    ...(categoryId === null ? {} : { where: { categoryId } }),
    orderBy: { name: "asc" },
    take: 100,
  });
  return (
    <section className="catalogue" aria-labelledby="catalogue-title">
      <h2 id="catalogue-title">Products</h2>
      <label>
        Category{" "}
        <select
          value={categoryId ?? ""}
          onChange={(e) => setCategoryId(e.target.value === "" ? null : Number(e.target.value))}
        >
          <option value="">all</option>
          {(categories.data?.items ?? []).map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      {products.isPending ? (
        <p>Loading…</p>
      ) : products.isError ? (
        <p role="alert">{products.error.message}</p>
      ) : products.data.items.length === 0 ? (
        <p className="placeholder">No products yet: an admin adds them (README.md).</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Product</th>
              <th>SKU</th>
              <th>Category</th>
              <th className="number">Price</th>
              <th className="number">In stock</th>
            </tr>
          </thead>
          <tbody data-testid="products">
            {products.data.items.map((p) => (
              <tr key={p.id} className={p.stock === 0 ? "sold-out" : undefined}>
                <td>
                  <a
                    href={href(p.id)}
                    onClick={(e) => {
                      e.preventDefault();
                      onOpen(p.id);
                    }}
                  >
                    {p.name}
                  </a>
                </td>
                <td>{p.sku}</td>
                <td>{p.categoryId === null ? "—" : (names.get(p.categoryId) ?? "…")}</td>
                <td className="number">{p.price.toFixed(2)}</td>
                <td className="number">{p.stock}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
