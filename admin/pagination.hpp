#pragma once

// Pages: every list of the API takes `page` (from 1) and `limit` (1 to 100,
// default 20) and answers them with the total.

#include <vector>

#include "admin/json_views.hpp"
#include "admin/params.hpp"

namespace hishamos::admin {

struct page_request {
  int page = 1;
  int limit = 20;
};

/// The page and limit of a request; 400 invalid_query when out of range.
[[nodiscard]] parsed<page_request> page_of(const request& req);

/// {items_name: [...], page, limit, total} for a list kept in memory.
template <class T, class F>
json page_json(const std::vector<T>& xs, const page_request& p,
               const char* items_name, F to_json_fn) {
  auto items = json::array();
  auto first = static_cast<size_t>(p.page - 1) * static_cast<size_t>(p.limit);
  for (size_t i = first; i < xs.size() && i < first + p.limit; ++i)
    items.push_back(to_json_fn(xs[i]));
  return {{items_name, items},
          {"page", p.page},
          {"limit", p.limit},
          {"total", xs.size()}};
}

} // namespace hishamos::admin
