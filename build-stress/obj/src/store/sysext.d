build-stress/obj/src/store/sysext.o: src/store/sysext.c \
 src/store/store_int.h include/macext/store.h include/macext/err.h \
 include/macext/core.h include/macext/sysext.h
src/store/store_int.h:
include/macext/store.h:
include/macext/err.h:
include/macext/core.h:
include/macext/sysext.h:
