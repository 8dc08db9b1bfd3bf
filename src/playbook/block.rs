//! Task lists: tasks and blocks (`block`/`rescue`/`always`), with static imports (`import_tasks`,
//! `import_role`) expanded in place at load time and their keywords pushed onto every task.

use std::sync::Arc;

use serde_json::Value;

use super::error::Error;
use super::keywords;
use super::load::{Loader, PlayParts};
use super::node::{Node, Origin};
use super::task::{self, Inherit, Task};

/// An entry of a task list.
#[derive(Debug, Clone)]
pub enum Item {
    /// A task (including dynamic includes, run as tasks).
    Task(Arc<Task>),
    /// A block.
    Block(Arc<Block>),
}

/// A `block` with its `rescue` and `always` sections (keywords already pushed to the tasks).
#[derive(Debug, Clone)]
pub struct Block {
    /// `name:` of the block.
    pub name: Option<String>,
    /// The tasks of `block:`.
    pub body: Vec<Item>,
    /// The tasks of `rescue:`.
    pub rescue: Vec<Item>,
    /// The tasks of `always:`.
    pub always: Vec<Item>,
    /// Where the block starts.
    pub origin: Origin,
}

/// Calls `f` on every task of `items`, depth first, in order.
pub fn for_each_task(items: &[Item], f: &mut dyn FnMut(&Arc<Task>)) {
    for item in items {
        match item {
            Item::Task(t) => f(t),
            Item::Block(b) => {
                for_each_task(&b.body, f);
                for_each_task(&b.rescue, f);
                for_each_task(&b.always, f);
            }
        }
    }
}

/// Parses a task list (`tasks:`, a task file, `block:`...).
pub fn parse_items(
    node: &Node,
    inherit: &Inherit,
    loader: &Loader,
    parts: &mut PlayParts,
    is_handler: bool,
) -> Result<Vec<Item>, Error> {
    let items = match node {
        Node::Seq(items, _) => items.as_slice(),
        Node::Leaf(Value::Null, _) => return Ok(Vec::new()),
        other => {
            return Err(Error::syntax(
                format!(
                    "A list of tasks was expected, but got a {} instead",
                    other.type_name()
                ),
                other.origin(),
            ))
        }
    };
    let mut out = Vec::new();
    for n in items {
        out.extend(parse_item(n, inherit, loader, parts, is_handler)?);
    }
    Ok(out)
}

fn parse_item(
    node: &Node,
    inherit: &Inherit,
    loader: &Loader,
    parts: &mut PlayParts,
    is_handler: bool,
) -> Result<Vec<Item>, Error> {
    let Some(entries) = node.as_map() else {
        return Err(Error::syntax(
            format!(
                "A malformed block was found: expected a dictionary, got a {}",
                node.type_name()
            ),
            node.origin(),
        ));
    };
    if node.get("block").is_some() {
        for (k, _) in entries {
            let key = k.name.as_str();
            if !keywords::INHERITED.contains(&key) && !keywords::BLOCK.contains(&key) {
                let hint = keywords::suggest(
                    key,
                    keywords::INHERITED
                        .iter()
                        .chain(keywords::BLOCK.iter())
                        .copied(),
                )
                .map(|s| format!(" Did you mean '{s}'?"))
                .unwrap_or_default();
                return Err(Error::syntax(
                    format!("'{key}' is not a valid attribute for a Block.{hint}"),
                    &k.origin,
                ));
            }
        }
        let ctx = task::fold_keywords(inherit, entries, &[])?;
        let section = |name: &str, parts: &mut PlayParts| -> Result<Vec<Item>, Error> {
            match node.get(name) {
                Some(n) => parse_items(n, &ctx, loader, parts, is_handler),
                None => Ok(Vec::new()),
            }
        };
        let body = section("block", parts)?;
        let rescue = section("rescue", parts)?;
        let always = section("always", parts)?;
        return Ok(vec![Item::Block(Arc::new(Block {
            name: node.get("name").and_then(Node::as_str).map(str::to_string),
            body,
            rescue,
            always,
            origin: node.origin().clone(),
        }))]);
    }
    let parsed = task::parse_task(node, inherit, is_handler)?;
    match parsed.action.as_str() {
        "import_tasks" => {
            let file = parsed
                .args
                .get("_raw_params")
                .or_else(|| parsed.args.get("file"))
                .and_then(Value::as_str)
                .ok_or_else(|| Error::syntax("No file specified for import_tasks", &parsed.origin))?
                .to_string();
            let file = loader.static_template(&file, &parsed.vars);
            let path = loader.find_task_file(&file, inherit, &parsed.origin)?;
            let ctx = task::fold_keywords(inherit, entries, &[])?;
            let mut ctx = ctx;
            ctx.dir = path.parent().map(|p| p.to_path_buf()).unwrap_or_default();
            let tree = loader.read_yaml(&path)?;
            parse_items(&tree, &ctx, loader, parts, is_handler)
        }
        "import_role" => {
            let ctx = task::fold_keywords(inherit, entries, &[])?;
            let role = loader.load_role_from_task(&parsed, &ctx, parts, false)?;
            Ok(role)
        }
        _ => Ok(vec![Item::Task(Arc::new(parsed))]),
    }
}
