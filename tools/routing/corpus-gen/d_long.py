# -*- coding: utf-8 -*-
# Longer, CİMER / complaint-site style messages, appended to the core pools.
L = {
"zabita.isyeri-gurultu": [
 "Sayın yetkili, {yer} adresinde oturuyorum. Evimizin tam karşısında geçen ay açılan nargile kafe her gece 01.00-03.00 arası yüksek sesle müzik yayını yapıyor. Defalarca 153'ü aradık, ekip geldiğinde sesi kısıyorlar, ekip gidince yine açıyorlar. İşletmenin müzik yayını izni ve çalışma saatleri denetlensin. Gereğini arz ederim.",
 "3 yıldır aynı düğün salonunun yanında oturuyoruz, sezon başladı yine çile başladı. Cuma cumartesi pazar gece yarısına kadar davul, org, havai fişek. Salonun kapıları havalandırma için açık bırakılıyor, ses içeri dolmuyor sokağa taşıyor. Bu salonun ruhsatında gece 12'ye kadar müzik mi yazıyor?",
 "Başkanım, biz emekliyiz, gece uyuyabilmek istiyoruz. Alt katımızdaki kafe 'cafe & bistro' diye açıldı ama aslında bar gibi çalışıyor, DJ bile getiriyorlar. Polis belediyeye, belediye polise yönlendiriyor. Lütfen zabıta ekibi gece 1 gibi gelip kendisi görsün.",
],
"zabita.isgal": [
 "Merhaba, {yer} üzerindeki kafeler yazın kaldırımı tamamen masa sandalyeyle kaplıyor, akşamları bebek arabasıyla ya da tekerlekli sandalyeyle geçmek imkansız. Yayalar araç yoluna iniyor, geçen hafta bir çocuğa motosiklet sürtündü. Kaldırım işgal izni ne kadar alanı kapsıyor, kontrol edilmesini istiyoruz.",
 "Esnafa söyledik, 'burası benim dükkanımın önü' diyor. Kaldırıma dev reklam panosu, meyve kasaları ve bir de soğutucu dolap koymuş. Görme engelli komşumuz panonun köşesine çarpıp başını yardı. Bu işgal kaldırılsın.",
 "Sokağımızdaki oto tamirciler araçları yolda söküp takıyor, yağlar yola akıyor, kaldırım da yedek parça deposu olmuş. Okul servisleri geçemiyor. Defalarca zabıta geldi, ceza yazıldı mı bilmiyoruz ama ertesi gün aynı manzara.",
],
"zabita.seyyar-satici": [
 "Her sabah 8'de bir kamyonet mahallemize girip hoparlörle sebze meyve satıyor, aynı kaydı 50 kere çalıyor. Gece vardiyasından gelip uyumaya çalışıyorum, mümkün değil. Üstelik pazar esnafı ve bakkallar da mağdur. Bu seyyar satıcılara izin mi verildi?",
 "Okulumuzun önünde öğle arası ve çıkışta en az 4 seyyar satıcı oluyor. Biri kızartma yapıyor, yağı kaç gündür aynı. Çocuklar bunlardan alıp hastalanıyor. Velilerimiz adına rica ediyoruz, okul çevresinde denetim yapılsın.",
],
"zabita.fiyat-denetimi": [
 "Dün {yer} tarafındaki bir markette raf etiketinde 89,90 yazan deterjan kasada 129 lira çekildi. Kasiyere söyledim, 'etiket eski kalmış' dedi ve fark iadesi yapmadı. Bu tek sefer değil, aynı markette sürekli oluyor. Fiyat etiket denetimi yapılmasını talep ediyorum.",
 "Fırınlar ekmeği küçülttü, fiyat aynı. Sabah aldığım 2 ekmeği evde tarttım biri 205 diğeri 212 gram. Tabelada 250 gram yazıyor. Herkes her gün ekmek alıyor, bu hırsızlık değil de ne?",
],
"zabita.olcu-tarti": [
 "Perşembe pazarında bir tezgahtan 3 kilo domates aldım, yan taraftaki kontrol terazisinde 2 kilo 450 gram çıktı. Pazarcıya gösterdim 'benim terazi doğru' dedi. Terazinin ayar damgası da yok. Bu pazardaki terazilerin kontrolünü istiyorum.",
],
"zabita.dilencilik": [
 "Her gün işe giderken {yer} kavşağında 8-10 yaşlarında iki çocuk arabaların arasında dileniyor. Sabahın 7'sinde, okul saatinde. Biraz ileride bir minibüste bekleyen yetişkinler var, organize olduğu çok belli. Hem çocuklar için hem trafik için tehlikeli, lütfen gereği yapılsın.",
],
"zabita.kacak-yapi": [
 "Yanımızdaki müstakil evin sahibi depremden sonra evin üstüne gece gündüz çalışarak bir kat daha çıkıyor. Ev zaten hasar tespitte orta hasarlı çıkmıştı. Bu yapının ruhsatı yoksa durdurulsun, yıkılırsa bizim evin üstüne yıkılacak.",
],
"zabita.insaat-duzeni": [
 "{yer} yapılan inşaat yüzünden 6 aydır rahat yüzü görmedik. Sabah 6'da kalıp çakılmaya başlıyor, gece 10'da beton pompası hala çalışıyor, pazar günü de dahil. Sokak çamur ve beton artığı içinde, şantiyenin etrafında düzgün bir perde de yok. Çalışma saatlerine uyulmasını ve şantiye düzeninin denetlenmesini istiyoruz.",
],
"zabita.gida-hijyen": [
 "Mahalledeki bir marketten çocuğuma aldığım sütün tarihi 10 gün önce geçmişti, içtikten sonra fark ettik. Rafta aynı tarihli 20 tane daha vardı. Markete söylediğimde umursamadılar. Son kullanma tarihi geçmiş ürün satan bu işletmenin denetlenmesini istiyorum.",
],
"temizlik.cop-toplama": [
 "Sayın Büyükşehir, {yer} sakiniyim. Son iki haftadır çöplerimiz haftada ancak bir kez alınıyor. Konteynerler taşıyor, poşetler yere bırakılıyor, kediler köpekler dağıtıyor. Sıcaklar da başladı, koku ve sinek çekilmez halde. Çöp toplama programımız değişti mi, bilgi verilmesini ve düzenli toplanmasını rica ederim.",
 "Ya kaç kere arayacağız, 4 gün oldu çöp alınmadı. Arayınca 'araç arızalı' diyorlar. Bir araç arızalıysa başka araç yok mu bu koca şehirde? Çöp dağı oldu kapının önü.",
],
"fen-isleri.yol-cukuru": [
 "Sayın yetkililer, {yer} üzerinde yaklaşık bir aydır kocaman bir çukur var. Dün gece yağmurda çukuru göremedim, ön lastiğim patladı ve jant eğildi. Etrafına bir uyarı levhası bile konulmamış. Kaza olmadan bu çukurun kapatılmasını talep ediyorum, hasar için de nereye başvuracağımı öğrenmek istiyorum.",
],
"veteriner.sokak-kopekleri": [
 "{yer} civarında son 2 ayda sokak köpeği sayısı çok arttı. Sabah okula giden çocuklarımızı tek başına gönderemiyoruz, sürü halinde kovalıyorlar. Geçen hafta komşumuzun kızı kaçarken düşüp dizini yardı. Bu köpeklerin toplanıp barınağa alınmasını, gerekirse kısırlaştırılmasını talep ediyoruz.",
],
"su-kanalizasyon.su-kesintisi": [
 "Merhaba, dün sabah 9'dan beri {yer} tarafında su yok. Web sitesinde planlı kesinti duyurusu yok, çağrı merkezi sürekli meşgul. Evde 4 aylık bebek ve yatalak babam var. Arıza varsa ne zaman biteceğini öğrenmek istiyoruz, olmazsa tanker gönderin.",
],
"cevre-koruma.gurultu": [
 "Evimizin arka tarafındaki depo soğutma motorları geçen yaz takıldı, o günden beri gece gündüz uğultu ve titreşim var. İşletme sahibine söyledik 'yasal' dedi. Gece ölçümü yapılarak sınır değerler aşılıyor mu kontrol edilmesini istiyorum.",
],
"sosyal-hizmetler.sosyal-yardim": [
 "Merhaba, ben 3 çocuk annesiyim, eşim depremde vefat etti. Konteyner kentte kalıyoruz, düzenli bir gelirim yok. Geçen ay sosyal yardım başvurusu yaptım ama hala hane ziyaretine gelen olmadı. Başvurumun ne durumda olduğunu öğrenmek istiyorum.",
],
"itfaiye.su-baskini": [
 "Saat 3'ten beri yağan sağanak yüzünden {yer} bodrum katımıza su doldu, diz boyuna geldi. Elektrik sigortalarını kapattık ama su yükselmeye devam ediyor. Motopomp ile tahliye için ekip gönderebilir misiniz?",
],
"park-bahceler.oyun-grubu": [
 "Mahallemizdeki çocuk parkında salıncaklardan birinin zinciri kopmuş, kaydırağın da bir parçası kırılıp keskin bir kenar kalmış. Dün bir çocuğun eli kesildi. Etrafına bir bant bile çekilmemiş, çocuklar hala kullanıyor. Acilen onarılmasını rica ediyoruz.",
],
"ulasim.otobus-sefer": [
 "Her sabah {hat} numaralı otobüsü bekliyorum, tarifede 07.10'da geçiyor yazıyor ama ya 07.30'da geliyor ya hiç gelmiyor. Öğrenciler ve işçiler yolda kalıyor. Bu hatta sabah saatlerinde sefer sayısının artırılmasını talep ediyoruz.",
],
}
