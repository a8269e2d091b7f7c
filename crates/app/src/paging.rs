//! Long lists shown a page at a time: which page a request gets, and where it sits.

/// Where one page sits among the pages of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    /// From 1.
    pub page: usize,
    /// At least 1, even when the list is empty.
    pub pages: usize,
    /// Items on every page.
    pub total: usize,
    /// Items a page.
    pub size: usize,
}

impl Paging {
    /// Page `asked` (from 1) of a list of `total` items, `size` a page. A page out of range is
    /// the nearest one that exists: 0 is the first, past the end the last.
    pub fn clamped(asked: usize, total: usize, size: usize) -> Self {
        let size = size.max(1);
        let pages = total.div_ceil(size).max(1);
        Self { page: asked.clamp(1, pages), pages, total, size }
    }

    /// How many items come before this page.
    pub fn offset(&self) -> usize {
        (self.page - 1) * self.size
    }
}

/// One page of a list, with where it sits.
#[derive(Clone, Debug)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub paging: Paging,
}

/// A count from the database as a length.
pub(crate) fn total(count: i64) -> usize {
    usize::try_from(count).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::Paging;

    #[test]
    fn a_page_out_of_range_is_the_nearest_that_exists() {
        let at = |asked| Paging::clamped(asked, 160, 25);
        assert_eq!((at(1).page, at(1).pages, at(1).offset()), (1, 7, 0));
        assert_eq!((at(7).page, at(7).offset()), (7, 150));
        assert_eq!(at(0).page, 1, "0 is the first page");
        assert_eq!(at(8).page, 7, "past the end is the last page");
        assert_eq!(at(usize::MAX).page, 7);
    }

    #[test]
    fn an_empty_list_has_one_empty_page() {
        let empty = Paging::clamped(3, 0, 25);
        assert_eq!((empty.page, empty.pages, empty.offset()), (1, 1, 0));
        assert_eq!(Paging::clamped(1, 25, 25).pages, 1, "exactly one full page");
        assert_eq!(Paging::clamped(2, 26, 25).pages, 2);
    }
}
