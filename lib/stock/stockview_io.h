/*
 * stockview_io.h --- the stock view I/O manager (see stockview_io.c).
 */

#ifndef E2ATOMIC_STOCKVIEW_IO_H
#define E2ATOMIC_STOCKVIEW_IO_H

#include <ext2fs/ext2fs.h>

extern io_manager stockview_io_manager;
void stockview_set_real(io_manager real);

#endif /* E2ATOMIC_STOCKVIEW_IO_H */
