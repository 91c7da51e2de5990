build-stress/obj/src/store/check.o: src/store/check.c \
 src/store/store_int.h include/macext/store.h include/macext/err.h \
 include/macext/core.h
src/store/store_int.h:
include/macext/store.h:
include/macext/err.h:
include/macext/core.h:
