//! Python's `range` object, what Jinja's `range(...)` gives in Ansible: a lazy sequence that
//! loops, indexes, filters (`list`, `join`, `length`) and prints as `range(0, 3)`, has
//! `type_debug` `range`, and cannot be a template's result (2.19: "Type 'range' is unsupported
//! for variable storage.", see `convert.rs`).

use std::fmt;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use minijinja::{Error, ErrorKind};

/// Like minijinja's own `range`: refuses more elements than this.
const MAX_LEN: i64 = 100_000;

/// `range(start, stop, step)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PyRange {
    start: i64,
    stop: i64,
    step: i64,
}

impl PyRange {
    /// `range(stop)`, `range(start, stop)` or `range(start, stop, step)`.
    pub(crate) fn new(first: i64, stop: Option<i64>, step: Option<i64>) -> Result<Self, Error> {
        let (start, stop) = match stop {
            Some(stop) => (first, stop),
            None => (0, first),
        };
        let step = step.unwrap_or(1);
        if step == 0 {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "range() arg 3 must not be zero",
            ));
        }
        let range = PyRange { start, stop, step };
        if range.len() > MAX_LEN {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "range has too many elements",
            ));
        }
        Ok(range)
    }

    /// The number of elements.
    fn len(&self) -> i64 {
        let (span, step) = if self.step > 0 {
            (self.stop - self.start, self.step)
        } else {
            (self.start - self.stop, -self.step)
        };
        if span <= 0 {
            0
        } else {
            (span + step - 1) / step
        }
    }

    /// Python's `repr()`: `range(0, 3)`, `range(1, 7, 2)`.
    pub(crate) fn text(&self) -> String {
        if self.step == 1 {
            format!("range({}, {})", self.start, self.stop)
        } else {
            format!("range({}, {}, {})", self.start, self.stop, self.step)
        }
    }

    /// The range a value holds, if it is one.
    pub(crate) fn of(value: &Value) -> Option<&PyRange> {
        value.downcast_object_ref::<PyRange>()
    }
}

impl Object for PyRange {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let i = key.as_i64()?;
        let len = self.len();
        let i = if i < 0 { i + len } else { i };
        (0..len)
            .contains(&i)
            .then(|| Value::from(self.start + i * self.step))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.len() as usize)
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// The `range(...)` global.
pub(crate) fn range(first: i64, stop: Option<i64>, step: Option<i64>) -> Result<Value, Error> {
    PyRange::new(first, stop, step).map(Value::from_object)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(v: &Value) -> Vec<i64> {
        v.try_iter().unwrap().map(|x| x.as_i64().unwrap()).collect()
    }

    #[test]
    fn counts_like_python() {
        assert_eq!(items(&range(3, None, None).unwrap()), vec![0, 1, 2]);
        assert_eq!(items(&range(1, Some(10), Some(3)).unwrap()), vec![1, 4, 7]);
        assert_eq!(items(&range(4, Some(1), Some(-1)).unwrap()), vec![4, 3, 2]);
        assert!(items(&range(0, None, None).unwrap()).is_empty());
        assert!(range(1, Some(2), Some(0)).is_err());
    }

    #[test]
    fn prints_and_indexes_like_python() {
        let r = range(1, Some(7), Some(2)).unwrap();
        assert_eq!(r.to_string(), "range(1, 7, 2)");
        assert_eq!(range(3, None, None).unwrap().to_string(), "range(0, 3)");
        assert_eq!(r.get_item(&Value::from(-1)).unwrap().as_i64(), Some(5));
        assert_eq!(r.len(), Some(3));
    }
}
