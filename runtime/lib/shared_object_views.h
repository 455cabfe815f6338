// remap_file_pages (stress-ng's remap, old database buffer managers) turns
// the areas of a shared memory object into windows that show its pages in
// another order, some twice and some nowhere. A checkpoint saves what the
// areas show, so a page shown nowhere would come back as zeros once the
// program shows it again. For an object whose areas are not one straight
// run, the checkpoint adds a view of the whole object in order (one more
// shared mapping: offset 0, the object's size), saved like any area, so a
// restart has every page; the runtime removes it once the image is written,
// and once a restart has put the memory back.
#pragma once

namespace dmtcp::rt {

void RegisterSharedObjectViewsPlugin();

}  // namespace dmtcp::rt
