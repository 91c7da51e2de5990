build-stress/obj/src/core/kext.o: src/core/kext.c include/macext/kext.h \
 include/macext/core.h include/macext/err.h include/macext/plist_util.h
include/macext/kext.h:
include/macext/core.h:
include/macext/err.h:
include/macext/plist_util.h:
