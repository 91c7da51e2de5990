build-stress/obj/src/store/cas.o: src/store/cas.c src/store/store_int.h \
 include/macext/store.h include/macext/err.h include/macext/core.h \
 include/macext/rd.h
src/store/store_int.h:
include/macext/store.h:
include/macext/err.h:
include/macext/core.h:
include/macext/rd.h:
