build-stress/obj/src/store/kext.o: src/store/kext.c include/macext/kext.h \
 include/macext/core.h include/macext/err.h src/store/store_int.h \
 include/macext/store.h
include/macext/kext.h:
include/macext/core.h:
include/macext/err.h:
src/store/store_int.h:
include/macext/store.h:
