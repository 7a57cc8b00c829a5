// One product's public page. useGet follows the row on Product:item:<id>, so the stock (and
// everything else) changes on screen as soon as an admin changes it anywhere; a deleted product
// says so. An admin also gets the stock editor (useUpdate: PATCH { stock }).
import { useEffect, useState } from "react";
import { useGet, useUpdate } from "../../generated/react/index.js";
import { isNotFound, type Product } from "../../generated/sdk/index.js";
import { href } from "./route";

interface Props {
  productId: number;
  isAdmin: boolean;
  onBack: () => void;
}

export function ProductPage({ productId, isAdmin, onBack }: Props) {
  const product = useGet("Product", productId);
  // null while the product has no category: the query stays idle.
  const category = useGet("Category", product.data?.categoryId);
  const back = (
    <a
      href={href(null)}
      onClick={(e) => {
        e.preventDefault();
        onBack();
      }}
    >
      ← All products
    </a>
  );
  if (product.isPending) return <section className="product">{back}<p>Loading…</p></section>;
  if (product.isError) {
    const message = isNotFound(product.error) ? "There is no such product." : product.error.message;
    return <section className="product">{back}<p role="alert">{message}</p></section>;
  }
  if (product.data === null) {
    return <section className="product">{back}<p role="alert" data-testid="gone">This product is no longer sold.</p></section>;
  }
  const p = product.data;
  return (
    <section className="product" aria-labelledby="product-name">
      {back}
      <h2 id="product-name" data-testid="product-name">
        {p.name}
      </h2>
      <p className="meta">
        SKU {p.sku}
        {category.data ? ` · ${category.data.name}` : ""}
      </p>
      <p className="price" data-testid="price">
        {p.price.toFixed(2)}
      </p>
      <p className={p.stock === 0 ? "stock sold-out" : "stock"}>
        <strong data-testid="stock">{p.stock}</strong> in stock{p.stock === 0 ? ": sold out" : ""}
      </p>
      {p.description !== null && <p className="description">{p.description}</p>}
      <p className="updated">
        updated <time dateTime={p.updatedAt}>{new Date(p.updatedAt).toLocaleString()}</time>
      </p>
      {isAdmin && <StockEditor product={p} />}
    </section>
  );
}

/** The admin's stock controls: set a count, or one more or fewer. The server refuses a negative
 * count (a hook in config.lua) and a non-admin's write (update = "isAdmin"); both show here. */
function StockEditor({ product }: { product: Product }) {
  const [value, setValue] = useState(String(product.stock));
  // The field follows the stock when it changes elsewhere (another admin, a pushed update).
  useEffect(() => setValue(String(product.stock)), [product.stock]);
  const update = useUpdate("Product");
  const save = (stock: number) => update.mutate({ id: product.id, data: { stock } });
  return (
    <form
      className="stock-editor"
      aria-label="Stock editor"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim() !== "") save(Number(value));
      }}
    >
      <h3>Stock (admin)</h3>
      <button type="button" onClick={() => save(product.stock - 1)} disabled={update.isPending}>
        −1
      </button>
      <input
        type="number"
        step={1}
        aria-label="Stock"
        value={value}
        onChange={(e) => setValue(e.target.value)}
      />
      <button type="button" onClick={() => save(product.stock + 1)} disabled={update.isPending}>
        +1
      </button>
      <button type="submit" disabled={update.isPending}>
        Save
      </button>
      {update.isError && <p role="alert">{update.error.message}</p>}
    </form>
  );
}
