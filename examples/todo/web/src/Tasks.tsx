// The signed-in user's tasks: a header (connection state, who you are), a form to add a task and
// the list, each task with a done box and a delete button. Everything goes through the generated
// hooks; the list is live, so the user's other windows follow every change without a reload.
import { useState } from "react";
import { useConnectionState, useCreate, useDelete, useList, useUpdate } from "../../generated/react/index.js";
import type { Task } from "../../generated/sdk/index.js";
import type { Session } from "./session";

export function Tasks({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  return (
    <div className="todo">
      <header>
        <h1>ssot todo</h1>
        <ConnectionBadge />
        <span className="me">
          signed in as <strong data-testid="me">{session.userId}</strong>
          {session.role === null ? "" : ` (${session.role})`}
        </span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main>
        <NewTask />
        <TaskList />
      </main>
    </div>
  );
}

/** The realtime connection's state: open, connecting, reconnecting, … */
function ConnectionBadge() {
  const state = useConnectionState();
  return (
    <span className={`badge ${state}`} data-testid="connection" title="The WebSocket to ssot serve">
      {state}
    </span>
  );
}

function NewTask() {
  const [title, setTitle] = useState("");
  // No ownerId here: the server takes it from the token.
  const create = useCreate("Task", { onSuccess: () => setTitle("") });
  return (
    <form
      className="new-task"
      onSubmit={(e) => {
        e.preventDefault();
        if (title.trim() !== "") create.mutate({ title: title.trim() });
      }}
    >
      <input aria-label="New task" placeholder="What needs doing?" maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />
      <button type="submit" disabled={create.isPending}>
        Add
      </button>
      {create.isError && <p role="alert">{create.error.message}</p>}
    </form>
  );
}

function TaskList() {
  // No `where: { ownerId }`: the list rule (isOwner) already limits the list, and its live
  // events, to the caller's own tasks. The first 100, oldest first.
  const tasks = useList("Task", { orderBy: { id: "asc" }, take: 100 });
  if (tasks.isPending) return <p>Loading…</p>;
  if (tasks.isError) return <p role="alert">{tasks.error.message}</p>;
  const { items, total } = tasks.data;
  const left = items.filter((t) => !t.done).length;
  return (
    <section aria-label="Tasks">
      <p className="summary" data-testid="summary">
        {total === 0 ? "Nothing to do." : `${left} of ${total} left`}
      </p>
      <ul className="tasks" data-testid="tasks">
        {items.map((task) => (
          <TaskItem key={task.id} task={task} />
        ))}
      </ul>
    </section>
  );
}

function TaskItem({ task }: { task: Task }) {
  const update = useUpdate("Task");
  const remove = useDelete("Task");
  const error = update.error ?? remove.error;
  return (
    <li data-testid="task" className={task.done ? "done" : undefined}>
      <label>
        <input
          type="checkbox"
          aria-label={`Done: ${task.title}`}
          checked={task.done}
          disabled={update.isPending}
          onChange={(e) => update.mutate({ id: task.id, data: { done: e.target.checked } })}
        />
        <span className="title">{task.title}</span>
      </label>
      <button type="button" aria-label={`Delete ${task.title}`} disabled={remove.isPending} onClick={() => remove.mutate(task.id)}>
        Delete
      </button>
      {error !== null && <p role="alert">{error.message}</p>}
    </li>
  );
}
